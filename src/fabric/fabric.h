/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Fabric ops table: everything the SRP engine needs from an RDMA transport,
 * expressed in verbs terms so that it maps 1:1 onto libibverbs + librdmacm
 * (issue 5) and onto the loopback fabric used by tests and benchmarks
 * (tests/lib/fabric_loop.c).
 *
 *   fabric        one HCA protection domain + its CM listener(s)
 *                 (ibv_context/ibv_pd + rdma_cm_id listeners)
 *   fabric_mr     a registered memory region (ibv_mr): lkey for local
 *                 SGEs, rkey for the peer's RDMA access.  Buffer pools are
 *                 registered once at start; nothing is registered per I/O.
 *   fabric_cq     a completion queue owned by one worker thread (ibv_cq +
 *                 ibv_comp_channel watched by that worker's struct loop).
 *   fabric_qp     one reliable-connected queue pair = one SRP channel
 *                 (ibv_qp created with rdma_create_qp on the child cm_id).
 *   fabric_conn_req  a pending connection request (RDMA_CM_EVENT_CONNECT_
 *                 REQUEST) carrying the SRP_LOGIN_REQ as private data.
 *   fabric_srq    a shared receive queue serving the QPs of one CQ
 *                 (ibv_srq; one per device the CQ spans).  Unlike per-QP
 *                 receives, its buffers belong to the fabric: a receive
 *                 completion lends one to the QP's user, who gives it back
 *                 with srq_repost() (SPDK keeps one SRQ per poll group and
 *                 device in the same way).
 *
 * Work requests follow ibv_post_send/ibv_post_recv: a linked list of WRs,
 * each with a 64-bit wr_id handed back in its completion.  Only signalled
 * send-queue WRs complete successfully with a callback; any WR that fails
 * or is flushed (QP in error) completes with an error status, signalled or
 * not (IBA vol. 1 10.8.3: flushed WRs always generate completions).
 *
 * Send-queue accounting is the user's (as with verbs): at most
 * attr.sq_depth WRs outstanding; the slots of unsignalled WRs come back
 * with the next signalled completion on the same QP.  RDMA READs in
 * flight are bounded by attr.max_rd_atomic the same way.
 *
 * Threading: a QP's completions, and its connection events, are delivered
 * on the thread running the struct loop its CQ was created on, from that
 * loop's dispatch -- never from inside a post or accept call (no
 * recursion).  A verbs implementation whose CM events arrive on the main
 * thread forwards them to the worker with loop_send().  conn_request runs
 * on the fabric's CM thread; qp_create, post_recv, accept and reject may
 * be called there until accept() returns, after which the QP belongs to
 * its CQ's thread (post_*, disconnect, drain, qp_destroy).
 */
#ifndef SRPTD_FABRIC_H
#define SRPTD_FABRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct loop;
struct fabric;
struct fabric_cq;
struct fabric_conn_req;
struct fabric_srq;

/* How long a lazy completion waits at most once its CQ's loop is idle. */
#define FABRIC_LAZY_IDLE_MS 10

/* Scatter/gather entries per WR the SRP layer may use (verbs max_sge). */
#define FABRIC_MAX_SGE 16

/* Memory access rights (ibv_access_flags). */
enum fabric_access {
	FABRIC_ACCESS_LOCAL_WRITE = 1u << 0,
	FABRIC_ACCESS_REMOTE_WRITE = 1u << 1,
	FABRIC_ACCESS_REMOTE_READ = 1u << 2,
};

/* A registered region.  Fields are read-only for users. */
struct fabric_mr {
	struct fabric *fabric;
	void *addr;
	size_t length;
	uint32_t lkey;
	uint32_t rkey;
	unsigned int access; /* enum fabric_access bits */
};

/* Local memory reference (ibv_sge); addr is a process virtual address. */
struct fabric_sge {
	uint64_t addr;
	uint32_t length;
	uint32_t lkey;
};

enum fabric_wr_opcode {
	FABRIC_WR_SEND, /* IU to the peer's next posted receive */
	FABRIC_WR_RDMA_WRITE, /* local sg_list -> peer (remote_addr, rkey) */
	FABRIC_WR_RDMA_READ, /* peer (remote_addr, rkey) -> local sg_list */
};

/* Send-queue work request (ibv_send_wr). */
struct fabric_send_wr {
	struct fabric_send_wr *next;
	uint64_t wr_id;
	enum fabric_wr_opcode opcode;
	bool signaled; /* IBV_SEND_SIGNALED: complete with a callback */
	/*
	 * With signaled: the callback may come late.  The fabric need not
	 * wake the CQ's thread for this completion: it is reported when the
	 * thread wakes for other work, when cq_hurry() asks, or after the
	 * loop was idle FABRIC_LAZY_IDLE_MS (never lost; an error or flush
	 * is reported like any other).  For WRs whose completion only gives
	 * resources back, such as a response SEND retiring its request
	 * (doc/verbs.md "Lazy send completions").
	 */
	bool lazy;
	unsigned int num_sge; /* <= qp max_sge */
	struct fabric_sge *sg_list;
	uint64_t remote_addr; /* RDMA only */
	uint32_t rkey; /* RDMA only */
};

/* Receive-queue work request: one SGE holding a whole IU. */
struct fabric_recv_wr {
	struct fabric_recv_wr *next;
	uint64_t wr_id;
	struct fabric_sge sge;
};

/* Completion status (ibv_wc_status subset). */
enum fabric_wc_status {
	FABRIC_WC_SUCCESS = 0,
	FABRIC_WC_LOC_LEN_ERR, /* incoming SEND larger than the receive */
	FABRIC_WC_LOC_PROT_ERR, /* local SGE outside a region / bad lkey */
	FABRIC_WC_REM_ACCESS_ERR, /* bad rkey, out of bounds, no access */
	FABRIC_WC_REM_INV_REQ_ERR, /* peer NAK: too long, RDMA READ over
				    * the responder's resources */
	FABRIC_WC_RETRY_EXC_ERR, /* peer gone */
	FABRIC_WC_WR_FLUSH_ERR, /* QP in error: WR never executed */
};

static inline const char *fabric_wc_status_str(enum fabric_wc_status st)
{
	static const char *const names[] = {
		[FABRIC_WC_SUCCESS] = "success",
		[FABRIC_WC_LOC_LEN_ERR] = "local length error",
		[FABRIC_WC_LOC_PROT_ERR] = "local protection error",
		[FABRIC_WC_REM_ACCESS_ERR] = "remote access error",
		[FABRIC_WC_REM_INV_REQ_ERR] = "remote invalid request",
		[FABRIC_WC_RETRY_EXC_ERR] = "transport retry exceeded",
		[FABRIC_WC_WR_FLUSH_ERR] = "flushed",
	};

	return (unsigned int)st < sizeof(names) / sizeof(names[0]) ? names[st] :
								     "unknown";
}

/*
 * A receive buffer of a shared receive queue.  For a QP created with
 * attr.srq, a successful recv_done() lends one: its wr_id is
 * (uintptr_t)(struct fabric_srq_buf *), the IU is at addr.  The user gives
 * it back with ops->srq_repost() once done with the IU, whatever became of
 * the QP meanwhile.  Fields are read-only for users.
 */
struct fabric_srq_buf {
	void *addr;
	uint32_t size;
};

/* Shared receive queue sizing (ibv_srq_init_attr). */
struct fabric_srq_attr {
	unsigned int depth; /* receives kept posted (per device) */
	uint32_t buf_size; /* bytes of one receive buffer: the largest IU */
	/*
	 * Byte align_off of every buffer starts on a 512-byte boundary, so
	 * that immediate data at that IU offset can go to O_DIRECT storage
	 * without a copy (doc/srp-protocol.md 5; ib_srp uses offset 68).
	 */
	uint32_t align_off;
};

/*
 * Layout of an array of receive buffers of buf_size bytes in one region
 * (an SRQ's, a channel's ring): buffer i starts at i * stride + *pad, so
 * that its byte align_off (where immediate data starts) is 512-byte
 * aligned for O_DIRECT; returns stride.
 */
static inline size_t fabric_recv_buf_layout(uint32_t buf_size,
					    uint32_t align_off, size_t *pad)
{
	*pad = (512 - align_off % 512) % 512;
	return (*pad + buf_size + 511) / 512 * 512;
}

/* Queue-pair sizing (ibv_qp_init_attr.cap + max_rd_atomic). */
struct fabric_qp_attr {
	unsigned int sq_depth; /* send-queue WRs outstanding at most */
	/* receive WRs posted at most; ignored (0) with srq */
	unsigned int rq_depth;
	/*
	 * Receive from this shared receive queue instead of a receive queue
	 * of its own (ibv_qp_init_attr.srq).  It must have been created on
	 * the CQ given to qp_create().  post_recv() is then refused.
	 */
	struct fabric_srq *srq;
	unsigned int max_sge; /* <= FABRIC_MAX_SGE */
	/*
	 * RDMA READs this QP may have in flight (max_rd_atomic / the CM's
	 * initiator_depth).  Must not exceed the peer's responder_resources
	 * (fabric_conn_info); ib_srp offers 4 (doc/srp-protocol.md 12).
	 */
	unsigned int max_rd_atomic;
};

/*
 * One port of one RDMA device of a fabric: where a connection request
 * arrived, or what a device management agent answers for.  A target's
 * port identifiers may depend on it (doc/srp-protocol.md 2: with
 * ioc_guid "auto" the node GUID of the HCA is one of them).
 */
struct fabric_port_ref {
	char dev_name[64]; /* "mlx5_0", "rxe1" */
	unsigned int port; /* 1-based HCA port number; 0 unknown */
	uint64_t node_guid; /* the HCA's node GUID, host order; 0 unknown */
};

/*
 * Does the port selector filter select port of device dev?  Selectors as
 * srptd.conf(5) writes them: "*" (every port), "hca" (all its ports),
 * "hca:*" or "hca:N" (1-based port number).
 */
static inline bool fabric_port_match(const char *filter, const char *dev,
				     unsigned int port)
{
	const char *colon = strrchr(filter, ':');
	size_t n = colon ? (size_t)(colon - filter) : strlen(filter);
	unsigned long pn = 0;

	if (!strcmp(filter, "*"))
		return true;
	if (n != strlen(dev) || strncmp(filter, dev, n))
		return false;
	if (!colon || !strcmp(colon + 1, "*"))
		return true;
	if (!colon[1])
		return false;
	for (const char *c = colon + 1; *c; c++) {
		if (*c < '0' || *c > '9' || pn > 65535)
			return false;
		pn = pn * 10 + (unsigned long)(*c - '0');
	}
	return pn == port;
}

/* What a connection request carries (rdma_conn_param + addressing). */
struct fabric_conn_info {
	struct fabric *fabric; /* the fabric the request arrived on */
	struct fabric_port_ref via; /* the device and port it came through */
	const void *private_data; /* the login request */
	unsigned int private_data_len;
	/* true: 56-byte srp_login_req_rdma (RDMA/CM IP port space);
	 * false: 64-byte SRP_LOGIN_REQ (IB/CM, AF_IB) (doc/srp-protocol.md
	 * 2). */
	bool rdma_cm_format;
	unsigned int responder_resources; /* peer accepts this many READs */
	unsigned int initiator_depth;
	char peer_name[64]; /* GID or IP of the initiator, for logs */
	uint8_t peer_gid[16];
};

/*
 * Listener upcalls, given when the fabric instance is created.
 * conn_request: a login arrived.  The handler eventually calls exactly one
 * of ops->accept() (after qp_create() and posting receives) or
 * ops->reject(); it may do so after returning (req stays valid until then).
 */
struct fabric_listener_handlers {
	void (*conn_request)(void *ctx, struct fabric_conn_req *req,
			     const struct fabric_conn_info *info);
};

/*
 * Per-QP upcalls, run on the QP's CQ loop thread with the ctx given to
 * qp_create().  All mandatory except connect_done (active side only).
 */
struct fabric_qp_handlers {
	/*
	 * A receive completed; byte_len valid on success.  With an SRQ,
	 * wr_id is the lent struct fabric_srq_buf on success; a failed
	 * receive lends nothing (wr_id 0, the fabric reposted the buffer),
	 * and receives are never flushed (they stay on the SRQ).
	 */
	void (*recv_done)(void *ctx, uint64_t wr_id, enum fabric_wc_status st,
			  uint32_t byte_len);
	/* A SEND WR completed (signalled, or any WR in error). */
	void (*send_done)(void *ctx, uint64_t wr_id, enum fabric_wc_status st);
	/* An RDMA READ/WRITE WR completed (signalled, or in error). */
	void (*rdma_done)(void *ctx, uint64_t wr_id, enum fabric_wc_status st);
	/* Passive side: the connection is established (RTU / ESTABLISHED). */
	void (*established)(void *ctx);
	/*
	 * Active side: the peer accepted (status 0, its private data given)
	 * or rejected (-ECONNREFUSED, the reject's private data given).
	 */
	void (*connect_done)(void *ctx, int status, const void *pdata,
			     unsigned int len);
	/*
	 * The connection is gone (peer DREQ, our disconnect() completed,
	 * transport error).  Called once; the QP is in error from now on and
	 * every WR still queued completes with FABRIC_WC_WR_FLUSH_ERR.
	 */
	void (*disconnected)(void *ctx);
	/*
	 * After drain(): every WR posted before it has completed.  No further
	 * completion will run for this QP; it may be destroyed.
	 */
	void (*drained)(void *ctx);
};

/*
 * Work counters of one CQ and the QPs and SRQ on it (ops->cq_counters):
 * how often the data path crosses into the device driver, which on a
 * software device such as rxe is a system call per post and per arm
 * (doc/statistics.md "Fabric counters").  Every field only grows.
 */
struct fabric_cq_counters {
	uint64_t send_posts; /* post_send calls handed to the device */
	uint64_t send_wrs; /* WRs in them */
	uint64_t recv_posts; /* receive posts (QP receive queue or SRQ) */
	uint64_t recv_wrs; /* WRs in them */
	uint64_t events; /* completion events taken (wake-ups) */
	uint64_t polls; /* poll calls (ibv_poll_cq), empty ones included */
	uint64_t completions; /* work completions polled */
	uint64_t arms; /* completion notifications requested */
};

/* Limits of the device (ibv_device_attr subset). */
struct fabric_caps {
	unsigned int max_qp_wr;
	unsigned int max_sge;
	unsigned int max_rd_atomic;
	size_t max_mr_size;
	/*
	 * iWARP: memory an RDMA READ lands in must be registered with
	 * FABRIC_ACCESS_REMOTE_WRITE too (SPDK does the same,
	 * doc/srp-protocol.md 12).
	 */
	bool read_sink_remote_write;
};

/* Public head of a QP; implementations embed it. */
struct fabric_qp {
	struct fabric *fabric;
	void *ctx; /* handlers' ctx */
};

struct fabric_ops {
	const char *name; /* "loop", "verbs" */

	/*
	 * Register [addr, addr+len) (ibv_reg_mr).  Called at start-up for
	 * whole pools, never per I/O.  -EINVAL bad range, -ENOMEM.
	 */
	int (*mr_reg)(struct fabric *f, void *addr, size_t len,
		      unsigned int access, struct fabric_mr **out);
	/* Deregister; no WR referencing it may be outstanding. */
	void (*mr_dereg)(struct fabric_mr *mr);

	/*
	 * Create a CQ for up to depth completions, polled on loop's thread
	 * (ibv_create_cq + comp channel watched by loop).  The fabric polls
	 * it from the loop and runs the owning QPs' handlers.
	 */
	int (*cq_create)(struct fabric *f, struct loop *loop,
			 unsigned int depth, struct fabric_cq **out);
	/* Destroy a CQ; no QP uses it any more. */
	void (*cq_destroy)(struct fabric_cq *cq);
	/*
	 * Optional (NULL: the fabric counts nothing).  Copy the CQ's work
	 * counters into *out; any thread, while the CQ exists.  Its thread
	 * writes them with relaxed stores, this reads them with relaxed
	 * loads: each counter whole, the set a few completions behind.
	 */
	void (*cq_counters)(struct fabric_cq *cq,
			    struct fabric_cq_counters *out);

	/*
	 * Optional (NULL: completions only arrive through the loop's fds).
	 * Busy polling (loop_set_poller(), doc/performance.md "Busy
	 * polling"): poll cq now on its thread and run the handlers of
	 * what completed, without a system call where the device allows.
	 * arm false: leave the CQ unarmed, the caller polls again soon;
	 * arm true: request a completion event before returning (and poll
	 * once more, so that nothing that completed before the request is
	 * left without one).  Returns the completions handled.
	 */
	int (*cq_poll)(struct fabric_cq *cq, bool arm);
	/*
	 * Optional (NULL: lazy WRs complete like the others).  The user
	 * waits for what lazy completions give back (send-queue slots,
	 * buffers): report the lazy WRs of cq that have completed, after
	 * the callbacks of the current round, and the others as soon as
	 * they complete.  On cq's thread.
	 */
	void (*cq_hurry)(struct fabric_cq *cq);

	/*
	 * Create a shared receive queue for the QPs of cq (ibv_create_srq
	 * on every device cq spans, and on devices added later).  The fabric
	 * allocates attr.depth buffers of attr.buf_size per device, registers
	 * them once and keeps them posted.  Same thread rules as cq_create.
	 * -EINVAL when attr exceeds the device (max_srq_wr), -ENOMEM,
	 * -EOPNOTSUPP when the fabric or a device has no SRQ.
	 */
	int (*srq_create)(struct fabric_cq *cq,
			  const struct fabric_srq_attr *attr,
			  struct fabric_srq **out);
	/*
	 * Destroy an SRQ on its CQ's thread: no QP uses it any more and
	 * every lent buffer was given back.
	 */
	void (*srq_destroy)(struct fabric_srq *srq);
	/*
	 * Give a lent buffer back: it is posted again (ibv_post_srq_recv).
	 * On the CQ's thread.  Never fails for the caller: a buffer of a
	 * device in error is kept until the device goes.
	 */
	void (*srq_repost)(struct fabric_srq *srq, struct fabric_srq_buf *buf);

	/*
	 * Passive side: create the QP for a pending connection request
	 * (rdma_create_qp on the child cm_id), in INIT state, sending
	 * completions to cq.  The caller posts receives, then accept()s.
	 * -EINVAL if attr exceeds the device caps or the peer's
	 * responder_resources, -ENOMEM.
	 */
	int (*qp_create)(struct fabric_conn_req *req, struct fabric_cq *cq,
			 const struct fabric_qp_attr *attr,
			 const struct fabric_qp_handlers *h, void *ctx,
			 struct fabric_qp **out);
	/* Destroy a QP after drained() (or one never connected). */
	void (*qp_destroy)(struct fabric_qp *qp);

	/*
	 * Accept a request with the SRP_LOGIN_RSP as private data
	 * (rdma_accept): moves the QP to RTS; established() follows.
	 * Consumes req.
	 */
	int (*accept)(struct fabric_conn_req *req, struct fabric_qp *qp,
		      const void *pdata, unsigned int len);
	/*
	 * Reject with the SRP_LOGIN_REJ as private data (rdma_reject,
	 * IB_CM_REJ_CONSUMER_DEFINED).  Consumes req; destroys the QP made
	 * for it, if any (pass it or NULL).
	 */
	int (*reject)(struct fabric_conn_req *req, struct fabric_qp *qp,
		      const void *pdata, unsigned int len);

	/*
	 * Post receives (ibv_post_recv).  -ENOMEM when the RQ is full (the
	 * failing WR and those after it were not posted: *bad points at
	 * it).  On a QP in error the WRs are accepted and flushed.
	 */
	int (*post_recv)(struct fabric_qp *qp, struct fabric_recv_wr *wr,
			 struct fabric_recv_wr **bad);
	/*
	 * Post a chain of send-queue WRs (ibv_post_send); WRs execute in
	 * order.  -ENOMEM if the SQ lacks room for the whole chain
	 * (nothing posted: callers account SQ slots and queue), -EINVAL on
	 * a malformed WR (num_sge > max_sge).  RC ordering: an RDMA WRITE
	 * chained before a SEND lands before the SEND is received.  The
	 * number of RDMA READs posted and not yet completed must stay
	 * <= attr.max_rd_atomic, else the peer NAKs them
	 * (FABRIC_WC_REM_INV_REQ_ERR, QP to error).  The device may get
	 * the WRs later, at the end of the CQ loop's round, together with
	 * the round's other posts to the QP (doc/verbs.md "Posting").
	 */
	int (*post_send)(struct fabric_qp *qp, struct fabric_send_wr *wr,
			 struct fabric_send_wr **bad);

	/*
	 * Start an orderly disconnect (DREQ / rdma_disconnect).
	 * disconnected() follows exactly once, also for a QP whose accept
	 * failed or that is already in error.
	 */
	int (*disconnect)(struct fabric_qp *qp);
	/*
	 * Move the QP to error and report drained() once everything posted
	 * before has completed (zero-length marker WR, like ib_drain_qp).
	 */
	int (*drain)(struct fabric_qp *qp);
};

/* Common head of a fabric instance; implementations embed it. */
struct fabric {
	const struct fabric_ops *ops;
	struct fabric_caps caps;
	const struct fabric_listener_handlers *lh;
	void *lctx;
};

static inline int fabric_post_send(struct fabric_qp *qp,
				   struct fabric_send_wr *wr)
{
	struct fabric_send_wr *bad;

	return qp->fabric->ops->post_send(qp, wr, &bad);
}

static inline int fabric_post_recv(struct fabric_qp *qp,
				   struct fabric_recv_wr *wr)
{
	struct fabric_recv_wr *bad;

	return qp->fabric->ops->post_recv(qp, wr, &bad);
}

#endif
