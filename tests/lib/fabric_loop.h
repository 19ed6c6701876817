/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loopback fabric: an implementation of struct fabric_ops in which both
 * ends of every connection live in this process.  Memory copies stand in
 * for RDMA; a "wire engine" run from the owning loop executes posted work
 * requests and delivers completions, so nothing completes inside a post
 * call.  It checks what a real HCA checks (rkeys, lkeys, region bounds and
 * access rights, receive sizes, RDMA READ depth, SQ/RQ depth, posts on a
 * QP in error) and reports violations as the verbs error completions a
 * real HCA would produce.
 *
 * Single-threaded by design: every CQ must be created on the loop given to
 * fabric_loop_create(), and every call is made from that loop's thread.
 * It is an instrument for unit tests and the host benchmark, not a
 * transport.
 */
#ifndef SRPTD_FABRIC_LOOP_H
#define SRPTD_FABRIC_LOOP_H

#include "fabric/fabric.h"

struct loop;

int fabric_loop_create(struct loop *loop,
		       const struct fabric_listener_handlers *lh, void *lctx,
		       struct fabric **out);
/* Every QP, CQ and MR must have been destroyed. */
void fabric_loop_destroy(struct fabric *f);

/*
 * Simulated HCAs.  A new fabric has device 0, FABRIC_LOOP_DEV0_NAME port 1
 * with node GUID FABRIC_LOOP_DEV0_GUID; add_device adds another (port 1)
 * and sets *idx (-ENOSPC beyond four).  A connection request made through
 * device idx reports it in fabric_conn_info.via, as the verbs fabric
 * reports the HCA a request arrived on.
 */
#define FABRIC_LOOP_DEV0_NAME "loop0"
#define FABRIC_LOOP_DEV0_GUID 0x0002c9030000f000ULL
int fabric_loop_add_device(struct fabric *f, const char *name,
			   uint64_t node_guid, unsigned int *idx);

/*
 * Active side (the test initiator): create a QP on cq and send a
 * connection request carrying pdata (<= 92 bytes, the IB CM REQ private
 * data limit; <= 56 in RDMA/CM format) through device dev (0: the first;
 * -EINVAL if there is no such device).  responder_resources is how many
 * RDMA READs the target may have in flight against this side.
 * h->connect_done runs with the target's answer.  fabric_loop_connect()
 * is fabric_loop_connect_via() device 0.
 */
int fabric_loop_connect_via(
	struct fabric *f, unsigned int dev, struct fabric_cq *cq,
	const struct fabric_qp_attr *attr, const struct fabric_qp_handlers *h,
	void *ctx, const void *pdata, unsigned int len, bool rdma_cm_format,
	unsigned int responder_resources, struct fabric_qp **out);
int fabric_loop_connect(struct fabric *f, struct fabric_cq *cq,
			const struct fabric_qp_attr *attr,
			const struct fabric_qp_handlers *h, void *ctx,
			const void *pdata, unsigned int len,
			bool rdma_cm_format, unsigned int responder_resources,
			struct fabric_qp **out);

/* Run the wire engine until nothing moves (tests); returns rounds run. */
int fabric_loop_run(struct fabric *f);

/*
 * Faults for race tests (fabric_loop_fault.c).  qp is the active side (a
 * test initiator's QP); "peer" is the target's QP of that connection.
 *
 * Stop (hold) or resume executing the work requests the peer posts: RDMA
 * READs stay outstanding, RDMA WRITEs and the SEND of a response stay
 * unsent, so the target can be caught with a request mid RDMA or with
 * its response in flight.  Completions already due still arrive.
 */
void fabric_loop_hold_peer(struct fabric_qp *qp, bool hold);
/*
 * The peer's QP fails (an asynchronous QP error): its posted work
 * flushes and both sides see the connection go, without a DREQ.
 */
void fabric_loop_fail_peer(struct fabric_qp *qp);
/*
 * The host of qp is gone without a word (power off, cable pulled): the
 * peer notices only when its next work request finds no ACK (retries
 * exhausted), as an RC QP does.
 */
void fabric_loop_vanish(struct fabric_qp *qp);

struct fabric_loop_stats {
	uint64_t sends;
	uint64_t rdma_writes;
	uint64_t rdma_reads;
	uint64_t bytes_read; /* by RDMA READ */
	uint64_t bytes_written; /* by RDMA WRITE */
	uint64_t error_wcs; /* completions with a status other than
			     * success or flush */
	uint64_t rnr_waits; /* SEND found no receive posted */
	unsigned int max_reads_outstanding; /* over all QPs */
};

void fabric_loop_get_stats(struct fabric *f, struct fabric_loop_stats *s);

#endif
