/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loopback fabric internals, shared by its two halves:
 *   fabric_loop.c       the objects (MRs, CQs, QPs, SRQs, connection
 *                       requests), the fabric_ops callbacks that post work
 *                       and the instance;
 *   fabric_loop_wire.c  the wire engine that executes posted work requests
 *                       and dispatches completions from the owning loop;
 *   fabric_loop_fault.c faults a test injects (a held send queue, a QP
 *                       error, a host that vanished).
 * The model and the threading rule are in fabric_loop.c and fabric_loop.h.
 */
#ifndef SRPTD_FABRIC_LOOP_INT_H
#define SRPTD_FABRIC_LOOP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fabric_loop.h"
#include "util.h"

#define LF_KEY_GEN_BITS 8
#define LF_REQ_PDATA_MAX 92 /* IB CM REQ private data */
#define LF_REP_PDATA_MAX 196 /* IB CM REP */
#define LF_REJ_PDATA_MAX 148 /* IB CM REJ */
#define LF_ENGINE_ROUNDS 32
#define LF_MAX_DEVS 4 /* simulated HCAs (fabric_loop_add_device) */

struct lf_mr {
	struct fabric_mr base;
	unsigned int slot;
};

enum lf_qp_state {
	LFQ_INIT, /* created, not connected (receives may be posted) */
	LFQ_RTS, /* connected */
	LFQ_ERROR, /* disconnected or failed: everything flushes */
};

struct lf_swr {
	uint64_t wr_id;
	enum fabric_wr_opcode opcode;
	bool signaled;
	bool over_depth; /* RDMA READ beyond max_rd_atomic: NAKed */
	unsigned int num_sge;
	uint64_t remote_addr;
	uint32_t rkey;
	struct fabric_sge sge[FABRIC_MAX_SGE];
};

enum lf_wc_kind {
	LFW_RECV,
	LFW_SEND,
	LFW_RDMA,
	LFW_ESTABLISHED,
	LFW_CONNECT_DONE,
	LFW_DISCONNECTED,
	LFW_DRAINED,
};

struct lf_srq_buf {
	struct fabric_srq_buf pub;
	bool lent;
	struct lf_srq_buf *next; /* posted FIFO */
};

struct fabric_srq {
	struct loop_fabric *lf;
	struct fabric_cq *cq;
	struct fabric_srq_attr attr;
	uint8_t *mem;
	size_t mem_len;
	struct fabric_mr *mr;
	struct lf_srq_buf *bufs;
	struct lf_srq_buf *head, *tail; /* posted, oldest first */
	unsigned int lent, nr_qps;
	bool rnr_waiting; /* a SEND found it empty */
};

struct lf_wc {
	struct lf_qp *qp; /* NULL: entry of a destroyed QP, skipped */
	struct fabric_srq *srq; /* RECV lending an SRQ buffer (wr_id) */
	uint64_t wr_id;
	uint8_t kind;
	uint8_t status;
	uint32_t byte_len;
	int conn_status;
	void *pdata; /* CONNECT_DONE: malloc'ed copy */
	unsigned int pdata_len;
};

struct fabric_cq {
	struct loop_fabric *lf;
	struct lf_wc *ring;
	unsigned int cap, head, count;
	unsigned int nr_qps;
	struct fabric_cq_counters cnt; /* ops->cq_counters (arms: cq_poll) */
	struct fabric_cq *next_cq; /* fabric's list of all CQs */
};

struct lf_qp {
	struct fabric_qp base;
	struct loop_fabric *lf;
	const struct fabric_qp_handlers *h;
	struct fabric_cq *cq;
	struct fabric_qp_attr attr;
	enum lf_qp_state state;
	struct lf_qp *peer;
	unsigned int peer_resp_res; /* READs the peer lets us have */
	struct lf_swr *sq;
	unsigned int sq_head, sq_count;
	struct fabric_recv_wr *rq;
	unsigned int rq_head, rq_count;
	unsigned int reads_outstanding;
	bool on_run_list;
	bool disconnect_reported;
	/* Test faults (fabric_loop_fault.c): its send queue does not run;
	 * the host behind it is gone (its peer's next WR fails). */
	bool held;
	bool gone;
	struct lf_qp *next_run;
	struct lf_qp *next_qp; /* fabric's list of all QPs */
};

/*
 * A successful signalled SEND or RDMA WRITE completes at the requester
 * only when the responder's ACK comes back, i.e. after the data landed
 * (and the peer may already have seen and answered it).  The loopback
 * delivers such completions one engine round after execution, so a peer
 * reacting to a received IU runs before the sender sees its completion,
 * as on a wire.
 */
struct lf_def {
	struct lf_qp *qp; /* NULL: QP gone */
	uint64_t wr_id;
	uint8_t kind;
};

struct fabric_conn_req {
	struct lf_qp *active;
	struct fabric_conn_info info;
	uint8_t pdata[LF_REQ_PDATA_MAX];
	struct fabric_conn_req *next;
};

struct loop_fabric {
	struct fabric base;
	struct loop *loop;
	int doorbell;
	bool rung, running, more;
	struct lf_mr **mrs;
	unsigned int mr_cap;
	uint8_t *mr_gen;
	struct lf_qp *run_head, *run_tail;
	struct fabric_conn_req *reqs_head, *reqs_tail; /* undelivered */
	struct fabric_cq *cqs;
	struct lf_qp *qps;
	unsigned int nr_objs; /* QPs + CQs + MRs alive */
	struct fabric_loop_stats stats;
	/* Simulated HCAs: device 0 exists from the start. */
	struct fabric_port_ref devs[LF_MAX_DEVS];
	unsigned int n_devs;
	/* Requester-side completions waiting for their "ACK" (a round). */
	struct lf_def *def;
	unsigned int n_def, def_cap;
};

static inline struct loop_fabric *lf_of(struct fabric *f)
{
	return container_of(f, struct loop_fabric, base);
}

static inline struct lf_qp *lq_of(struct fabric_qp *qp)
{
	return container_of(qp, struct lf_qp, base);
}

/* fabric_loop.c: objects and the fabric_ops callbacks */
void lf_kick(struct loop_fabric *lf);
void lf_run_list_add(struct lf_qp *qp);
struct lf_mr *lf_mr_check(struct loop_fabric *lf, uint32_t key, uint64_t addr,
			  uint64_t len, unsigned int access);
void lf_complete(struct lf_qp *qp, enum lf_wc_kind kind, uint64_t wr_id,
		 enum fabric_wc_status st, uint32_t byte_len);
enum lf_wc_kind lf_swr_kind(const struct lf_swr *w);
void lf_qp_error(struct lf_qp *qp);
int lf_reject(struct fabric_conn_req *req, struct fabric_qp *q,
	      const void *pdata, unsigned int len);
void lf_srq_put(struct fabric_srq *srq, struct lf_srq_buf *b);
bool lf_srq_deliver(struct lf_qp *peer, struct lf_swr *w, uint64_t total,
		    enum fabric_wc_status *st);

/* fabric_loop_wire.c: the wire engine */
void lf_copy(const struct fabric_sge *sge, unsigned int n, void *flat,
	     bool to_flat);
void lf_doorbell_cb(void *arg, uint32_t events);
int lf_cq_poll(struct fabric_cq *cq, bool arm);

#endif
