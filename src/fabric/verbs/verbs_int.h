/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric internals, shared by the files of src/fabric/verbs/ (the
 * public side is src/fabric/verbs.h; the RDMA facts relied on are in
 * doc/verbs.md).
 *
 * Files, one responsibility each:
 *   verbs.c   the fabric object: ops table, create, destroy
 *   device.c  device probing, port filter, PDs, async events, hot plug
 *   cm.c      RDMA/CM event channel, listeners and their retry, connection
 *             requests, accept / reject / disconnect
 *   conn.c    the connection object: references, state, messages to the
 *             QP's thread
 *   cq.c      CQ parts, completion channels, polling and dispatch
 *   srq.c     shared receive queues and their qp_num table
 *   qp.c      QP create / destroy / drain, posting sends, RDMA and receives
 *   mr.c      memory registration and the lkey handle table
 *   port.c    what the ports in use are: state, link layer, addresses
 *
 * Threads.  There are two kinds:
 *  - the main thread runs the loop given to fabric_verbs_create(): the CM
 *    event channel and the listeners (cm.c), the device scan timer and
 *    every device's async event fd (device.c).  Devices change state only
 *    there, and conn_request() is called there;
 *  - a CQ thread runs the loop a CQ was created on (a worker): it watches
 *    the completion channels of the CQ's parts, polls them and calls the
 *    QP handlers (cq.c).  qp_create, post_recv, accept and reject may run
 *    on the main thread or the CQ thread until accept() returns; from then
 *    on the QP is the CQ thread's: post_*, disconnect, drain and
 *    qp_destroy run there, and so does every fabric_qp_handlers upcall.
 *    The CM events of a connection reach that thread as messages
 *    (loop_send, conn.c vc_send), never as direct calls.
 * mr_reg and mr_dereg may run on any thread.
 *
 * Locking.  vf->lock (a mutex) covers the rare control state that both
 * kinds of thread touch: the MR table (writes), the list of connections
 * and each device's nconns, the list of CQs with the creation and release
 * of their per-device parts (and so of the SRQ parts), and the writes to
 * the qp_num tables.  Read without the lock: the MR table when posting
 * (a handle is published with release order before any WR can carry it),
 * a device's state (atomic), the qp_num tables (see below) and the CQ
 * room reservations (atomic compare-and-swap).
 *
 * Object lifetimes and owners:
 *  - struct verbs_fabric: created and destroyed on the main thread; owns
 *    the device slots, the listeners, the MR table and the lists of CQs
 *    and connections.  fabric_verbs_destroy() tears down whatever users
 *    left behind.
 *  - struct vdev (device slot): FREE -> ACTIVE -> REMOVING -> RELEASED ->
 *    reusable, main thread (enum vdev_state).  A slot keeps its index, so
 *    MRs, CQs and SRQs hold their per-device parts in arrays indexed by
 *    it (V_MAX_DEVS entries).
 *  - struct vmr: one ibv_mr per ACTIVE device; the lkey users see is the
 *    handle (an index into vf->mrs) that posting translates to the
 *    device's lkey (v_lkey).  A device added later gets every MR
 *    registered; a released one has its parts deregistered (mr.c).
 *  - struct fabric_cq: created and destroyed by its user on its thread;
 *    one part (struct vcq_dev: comp channel + ibv_cq) per ACTIVE device.
 *    On hot plug the main thread asks the CQ thread, by message, to add
 *    or release a part (cq.c vcq_msg_send); the CQ is looked up by id
 *    because it may be gone when the message arrives.
 *  - struct fabric_srq: at most one per CQ; one part (struct vsrq_dev:
 *    ibv_srq + one registered buffer region) per CQ part, created and
 *    released with that part, so hot plug needs nothing more.  A buffer
 *    handed to a user stays lent until srq_repost().
 *  - struct fabric_conn_req (a "connection") is created for every
 *    CONNECT_REQUEST and also carries the QP made for it, so CM events
 *    always find their object through cm_id->context.  It is reference
 *    counted: one reference for the cm_id, one per message in flight to
 *    the CQ thread.  The main thread takes the message reference before
 *    it acks the CM event, and rdma_destroy_id() waits for every event of
 *    the id to be acked, so once qp_destroy() (or reject()) has destroyed
 *    the id no new message can appear and the last message frees the
 *    object.  After a forced drain (qp.c vc_drain_timeout) the memory is
 *    kept until fabric_verbs_destroy(): a late completion may still point
 *    into it.
 *  - Work requests carry a pointer to a per-QP slot (struct vslot) as
 *    their ibv wr_id; the slot holds the user's wr_id and the owning
 *    connection, so a CQ shared by many QPs needs no lookup.  The
 *    exception is a receive from an SRQ: any QP attached to it may consume
 *    it, so its completion is mapped to the connection by qp_num, in a
 *    small open-addressed table per SRQ part (srq.c), written under
 *    vf->lock and read lock-free by the CQ thread: the connection pointer
 *    is stored before the key (release), a reader loads the key (acquire)
 *    before the pointer, and a deleted key becomes a tombstone.
 *
 * Hot plug (device.c).  The main thread rescans librdmacm's device list
 * every V_SCAN_MS; a device that vanished, or reported DEVICE_FATAL or
 * DEVICE_REMOVAL, goes REMOVING: it takes no new QPs and its connections
 * are told they are disconnected (peer_gone + VM_DISCONNECTED).  When the
 * last of them is freed (conn.c vc_free), the main thread sends every CQ
 * thread a message to release its part (and so its SRQ part); the last
 * part released sends the main thread the final step: MR parts, async fd
 * and PD released, state RELEASED, and a device list refresh that drops
 * librdmacm's reference (it is kept while any device is REMOVING), so the
 * kernel can finish unregistering the device (doc/verbs.md "Device
 * removal").
 */
#ifndef SRPTD_FABRIC_VERBS_INT_H
#define SRPTD_FABRIC_VERBS_INT_H

#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <pthread.h>
#include <rdma/rdma_cma.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

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
#define V_PDATA_MAX 256
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
	/* IPv6 only (RDMA_OPTION_ID_AFONLY): an IPv4 listener shares the
	 * port, which a dual-stack bind would conflict with. */
	bool v6_only;
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
	struct ibv_comp_channel *ch; /* events of both CQs */
	struct ibv_cq *icq; /* receives */
	/*
	 * Send-queue WRs of the part's QPs, armed only while a WR whose
	 * completion is awaited (not lazy) is outstanding, so that the
	 * completion of a response SEND does not wake the thread by itself
	 * (doc/verbs.md "Lazy send completions").  urgent and lazy count
	 * the signalled WRs outstanding of each kind (vslot flags).
	 */
	struct ibv_cq *scq;
	unsigned int urgent, lazy;
	bool sarmed; /* scq armed: its next completion raises an event */
	unsigned int unacked, sunacked; /* events of icq, scq not acked */
	unsigned int cap; /* entries of icq and of scq each */
	atomic_uint reserved; /* entries reserved by QPs (any thread) */
	/*
	 * Hand-off of a QP to this CQ's thread: accept() adds 1 (release)
	 * after the main thread's last write to the QP and before the REP
	 * goes out; the CQ thread loads it (acquire) after every poll that
	 * returned completions.  No completion of the QP can precede its
	 * accept, so the load sees the add, and what the main thread set up
	 * (connection, slots, the user's channel) happens before the
	 * dispatch that reads it.  The order through the HCA alone is not a
	 * happens-before relation C11 or ThreadSanitizer can see.
	 */
	atomic_uint handoff;
	bool watched;
};

struct vsrq_dev;

/* How completions reach the CQ's loop (fabric_ops.cq_poll). */
enum vcq_notify {
	VCQ_EVENTS, /* armed after each poll: an event wakes the loop */
	VCQ_POLLED, /* a busy poller polls it; left unarmed */
};

struct fabric_cq {
	struct verbs_fabric *vf;
	struct loop *loop;
	struct fabric_srq *srq; /* its shared receive queue, if any */
	unsigned int depth;
	atomic_uint nr_qps; /* qp_create and qp_destroy run on any thread */
	struct loop_timer *repoll; /* poll budget exhausted: continue */
	struct loop_idle lazy_idle; /* lazy completions when idle */
	struct loop_defer hurry; /* cq_hurry(): poll the send CQs */
	enum vcq_notify notify; /* set by v_cq_poll() only */
	uint64_t id; /* for messages: a CQ may be gone when they arrive */
	/*
	 * Written on the CQ's thread (v_cnt_add), read by v_cq_counters()
	 * on any thread.  Receives posted before a QP's accept may come
	 * from the main thread: a count may then be lost, never torn.
	 */
	struct fabric_cq_counters cnt;
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

/* Signalled send-queue WRs counted in their CQ part (vcq_dev). */
enum vslot_flags {
	VSF_URGENT = 1, /* vcq_dev.urgent */
	VSF_LAZY = 2, /* vcq_dev.lazy */
};

struct vslot {
	struct fabric_conn_req *c;
	struct vslot *next; /* receive free list / software flush list */
	uint64_t wr_id;
	uint32_t idx;
	uint8_t kind;
	uint8_t flags; /* enum vslot_flags: counted until it completes */
};

/* A buffer of an SRQ part: posted, or lent to a QP's user. */
struct vsrq_buf {
	struct fabric_srq_buf pub;
	struct vslot slot;
	struct vsrq_dev *sd;
	bool lent;
	struct ibv_recv_wr wr; /* its receive, chained while pending */
	struct ibv_sge sge;
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
	/* Reposts of the CQ loop's round, one ibv_post_srq_recv at its
	 * end (srq.c vsrq_flush()). */
	struct ibv_recv_wr *post_head, **post_tail;
	unsigned int n_post;
	struct loop_defer flush;
};

struct fabric_srq {
	struct fabric_cq *cq;
	struct fabric_srq_attr attr;
	atomic_uint nr_qps;
	struct vsrq_dev devs[V_MAX_DEVS];
};

/* Connection state, forward only (doc/verbs.md "Connection states"). */
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

extern const char *const vc_state_names[];

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
	/*
	 * Send WRs posted during the CQ loop's current round, built in swr
	 * and ssge and handed to the device in one ibv_post_send at its end
	 * (qp.c vc_flush_sends(); doc/verbs.md "Posting").  Their slots are
	 * counted in sq_used already.
	 */
	struct ibv_send_wr *swr; /* sq_depth entries; swr[0..sq_pending) */
	struct ibv_sge *ssge; /* sq_depth * max_sge; [0..sge_pending) */
	unsigned int sq_pending, sge_pending;
	struct loop_defer flush; /* vc_flush_sends() at the round's end */
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
	struct fabric_verbs_skips own_skips;
	struct fabric_verbs_skips *skips; /* p.skips or &own_skips */
};

/* Messages to a connection's CQ thread (conn.c). */
enum vmsg_kind {
	VM_ESTABLISHED,
	VM_DISCONNECTED, /* from the CM */
	VM_REPORT_DISC, /* deferred disconnected() from our own calls */
	VM_SW_FLUSH, /* flush receives posted while in error */
};

static inline struct verbs_fabric *vf_of(struct fabric *f)
{
	return container_of(f, struct verbs_fabric, base);
}

static inline struct fabric_conn_req *vc_of(struct fabric_qp *qp)
{
	return container_of(qp, struct fabric_conn_req, base);
}

static inline unsigned int umin(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

static inline int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* MR handle -> lkey on device slot dev; any thread (mr.c). */
static inline uint32_t v_lkey(struct verbs_fabric *vf, unsigned int dev,
			      uint32_t handle)
{
	struct vmr *m = handle < V_MAX_MRS ?
				atomic_load_explicit(&vf->mrs[handle],
						     memory_order_acquire) :
				NULL;

	return m && m->mrs[dev] ? m->mrs[dev]->lkey : V_BAD_LKEY;
}

/* conn.c */
void vc_get(struct fabric_conn_req *c);
bool vc_tryget(struct fabric_conn_req *c);
void vc_put(struct fabric_conn_req *c);
bool vc_set_state(struct fabric_conn_req *c, enum vconn_state s);
void vc_release_id(struct fabric_conn_req *c);
void vc_check_drained(struct fabric_conn_req *c);
void vc_send(struct fabric_conn_req *c, enum vmsg_kind kind);
void vc_defer_disconnected(struct fabric_conn_req *c);

/* device.c (main thread) */
struct vdev *v_find_dev(struct verbs_fabric *vf, struct ibv_context *ctx);
int v_devices_open(struct verbs_fabric *vf);
void v_devices_close(struct verbs_fabric *vf);
void v_refresh_devices(struct verbs_fabric *vf);
void v_scan_cb(void *arg);
void v_dev_remove(struct vdev *d, const char *why);
void v_dev_release_cqs(void *arg);
void v_dev_release_finish(void *arg);

/* port.c (main thread) */
int v_port_info(struct vdev *d, unsigned int port,
		struct fabric_verbs_port_info *pi);
void v_dev_log_up(struct vdev *d, const char *was);

/* cm.c (main thread, but accept/reject/disconnect: see above) */
void v_cm_fd_cb(void *arg, uint32_t events);
int v_listeners_setup(struct verbs_fabric *vf);
void v_listener_close(struct vlistener *l);
void v_listener_lost(struct verbs_fabric *vf, struct vlistener *l);
int v_accept(struct fabric_conn_req *c, struct fabric_qp *qp, const void *pdata,
	     unsigned int len);
int v_reject(struct fabric_conn_req *c, struct fabric_qp *qp, const void *pdata,
	     unsigned int len);
int v_disconnect(struct fabric_qp *qp);

/* cq.c */
int v_cq_create(struct fabric *f, struct loop *loop, unsigned int depth,
		struct fabric_cq **out);
void v_cq_destroy(struct fabric_cq *cq);
void v_cq_counters(struct fabric_cq *cq, struct fabric_cq_counters *out);
int v_cq_poll(struct fabric_cq *cq, bool arm);
void v_cq_hurry(struct fabric_cq *cq);
/* Count a signalled send-queue WR (flags) in its part until it completes;
 * vcq_uncount() when it does, or when its QP goes without it. */
void vcq_count(struct vcq_dev *cd, struct vslot *s, uint8_t flags);
void vcq_uncount(struct vcq_dev *cd, struct vslot *s);
/* Arm the send CQ or the idle hook for a part's outstanding WRs. */
void vcq_sends_owed(struct vcq_dev *cd);

/* One writer: a relaxed load and store, no read-modify-write. */
static inline void v_cnt_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v,
			 __ATOMIC_RELAXED);
}
int vcq_reserve(struct vcq_dev *cd, unsigned int n);
int vcq_msg_send(struct fabric_cq *cq, struct vdev *d, bool add);

/* srq.c */
int v_srq_create(struct fabric_cq *cq, const struct fabric_srq_attr *a,
		 struct fabric_srq **out);
void v_srq_destroy(struct fabric_srq *srq);
void v_srq_repost(struct fabric_srq *srq, struct fabric_srq_buf *buf);
int vsrq_dev_setup(struct fabric_srq *srq, struct vcq_dev *cd);
void vsrq_dev_teardown(struct vsrq_dev *sd);
void vsrq_dispatch(struct vsrq_buf *b, const struct ibv_wc *wc);
int vsrq_map_add(struct vsrq_dev *sd, uint32_t qpn, struct fabric_conn_req *c);
void vc_srq_detach(struct fabric_conn_req *c);

/* qp.c */
int v_qp_create(struct fabric_conn_req *c, struct fabric_cq *cq,
		const struct fabric_qp_attr *attr,
		const struct fabric_qp_handlers *h, void *ctx,
		struct fabric_qp **out);
void v_qp_destroy(struct fabric_qp *qp);
int v_post_recv(struct fabric_qp *qp, struct fabric_recv_wr *wr,
		struct fabric_recv_wr **bad);
void vc_flush_sends(struct fabric_conn_req *c);
/* A send WR the device never took ends with st (cq.c). */
void vcq_complete_unposted(struct fabric_conn_req *c, struct vslot *s,
			   enum fabric_wc_status st);
int v_post_send(struct fabric_qp *qp, struct fabric_send_wr *wr,
		struct fabric_send_wr **bad);
int v_drain(struct fabric_qp *qp);

/* mr.c */
int v_mr_reg(struct fabric *f, void *addr, size_t len, unsigned int access,
	     struct fabric_mr **out);
void v_mr_dereg(struct fabric_mr *mr);
int vmr_dev_register(struct verbs_fabric *vf, struct vdev *d);
void vmr_dev_release(struct verbs_fabric *vf, struct vdev *d);

#endif
