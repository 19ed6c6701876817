/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Loopback fabric: connection management, SEND/RECV, RDMA READ/WRITE and
 * the checks a real HCA makes (keys, bounds, access, sizes, read depth,
 * flushes), and that completions never run inside a post.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fabric_loop.h"
#include "loop.h"

#define MAXWC 64

struct wc_rec {
	int kind; /* 0 recv 1 send 2 rdma */
	uint64_t wr_id;
	enum fabric_wc_status st;
	uint32_t len;
};

struct side {
	struct fabric_qp *qp;
	struct wc_rec wc[MAXWC];
	int nwc;
	int established, connected, disconnected, drained;
	int conn_status;
	uint8_t pdata[256];
	unsigned int pdata_len;
	bool posting; /* a post call is running */
};

struct env {
	struct loop *loop;
	struct fabric *f;
	struct fabric_cq *cq;
	struct side a, p; /* active (initiator), passive (target) */
	struct fabric_qp_attr pattr;
	bool do_accept;
	bool reject;
	bool create_fail;
	unsigned int resp_res_seen;
	struct fabric_mr *amr, *pmr;
	uint8_t *abuf, *pbuf;
};

static void rec(struct side *s, int kind, uint64_t id, enum fabric_wc_status st,
		uint32_t len)
{
	assert_false(s->posting); /* never from inside a post */
	assert_true(s->nwc < MAXWC);
	s->wc[s->nwc++] = (struct wc_rec){ kind, id, st, len };
}

static void h_recv(void *c, uint64_t id, enum fabric_wc_status st, uint32_t len)
{
	rec(c, 0, id, st, len);
}

static void h_send(void *c, uint64_t id, enum fabric_wc_status st)
{
	rec(c, 1, id, st, 0);
}

static void h_rdma(void *c, uint64_t id, enum fabric_wc_status st)
{
	rec(c, 2, id, st, 0);
}

static void h_est(void *c)
{
	((struct side *)c)->established++;
}

static void h_conn(void *c, int status, const void *pd, unsigned int len)
{
	struct side *s = c;

	s->connected++;
	s->conn_status = status;
	memcpy(s->pdata, pd, len);
	s->pdata_len = len;
}

static void h_disc(void *c)
{
	struct side *s = c;

	assert_int_equal(s->drained, 0);
	s->disconnected++;
}

static void h_drained(void *c)
{
	((struct side *)c)->drained++;
}

static const struct fabric_qp_handlers hs = {
	.recv_done = h_recv,
	.send_done = h_send,
	.rdma_done = h_rdma,
	.established = h_est,
	.connect_done = h_conn,
	.disconnected = h_disc,
	.drained = h_drained,
};

static void on_req(void *ctx, struct fabric_conn_req *req,
		   const struct fabric_conn_info *info)
{
	struct env *e = ctx;
	const struct fabric_ops *o = e->f->ops;

	e->resp_res_seen = info->responder_resources;
	assert_memory_equal(info->private_data, "LOGIN", 5);
	if (e->create_fail) {
		assert_int_equal(o->qp_create(req, e->cq, &e->pattr, &hs, &e->p,
					      &e->p.qp),
				 -EINVAL);
		assert_int_equal(o->reject(req, NULL, "NO", 2), 0);
		return;
	}
	if (e->reject) {
		assert_int_equal(o->reject(req, NULL, "NO", 2), 0);
		return;
	}
	assert_int_equal(
		o->qp_create(req, e->cq, &e->pattr, &hs, &e->p, &e->p.qp), 0);
	assert_int_equal(o->accept(req, e->p.qp, "OK", 2), 0);
}

static const struct fabric_listener_handlers lh = { .conn_request = on_req };

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const struct fabric_ops *o;

	assert_int_equal(loop_create(&e->loop), 0);
	assert_int_equal(fabric_loop_create(e->loop, &lh, e, &e->f), 0);
	o = e->f->ops;
	assert_int_equal(o->cq_create(e->f, e->loop, 8, &e->cq), 0);
	e->pattr = (struct fabric_qp_attr){
		.sq_depth = 16, .rq_depth = 4, .max_sge = 4, .max_rd_atomic = 2
	};
	e->abuf = calloc(1, 65536);
	e->pbuf = calloc(1, 65536);
	assert_int_equal(o->mr_reg(e->f, e->abuf, 65536,
				   FABRIC_ACCESS_LOCAL_WRITE |
					   FABRIC_ACCESS_REMOTE_READ |
					   FABRIC_ACCESS_REMOTE_WRITE,
				   &e->amr),
			 0);
	assert_int_equal(o->mr_reg(e->f, e->pbuf, 65536,
				   FABRIC_ACCESS_LOCAL_WRITE, &e->pmr),
			 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	const struct fabric_ops *o = e->f->ops;

	o->qp_destroy(e->a.qp);
	o->qp_destroy(e->p.qp);
	o->mr_dereg(e->amr);
	o->mr_dereg(e->pmr);
	o->cq_destroy(e->cq);
	fabric_loop_destroy(e->f);
	loop_destroy(e->loop);
	free(e->abuf);
	free(e->pbuf);
	free(e);
	return 0;
}

static void connect(struct env *e)
{
	struct fabric_qp_attr aattr = { .sq_depth = 16,
					.rq_depth = 8,
					.max_sge = 4 };

	assert_int_equal(fabric_loop_connect(e->f, e->cq, &aattr, &hs, &e->a,
					     "LOGIN", 5, false, 4, &e->a.qp),
			 0);
	assert_int_equal(e->a.connected, 0); /* asynchronous */
	fabric_loop_run(e->f);
}

static void post_recv(struct side *s, struct fabric_mr *mr, uint64_t id,
		      uint32_t off, uint32_t len)
{
	struct fabric_recv_wr wr = { .wr_id = id };

	wr.sge.addr = (uintptr_t)mr->addr + off;
	wr.sge.length = len;
	wr.sge.lkey = mr->lkey;
	s->posting = true;
	assert_int_equal(fabric_post_recv(s->qp, &wr), 0);
	s->posting = false;
}

static int post_one(struct side *s, enum fabric_wr_opcode op,
		    struct fabric_mr *lmr, uint32_t off, uint32_t len,
		    uint64_t raddr, uint32_t rkey, uint64_t id)
{
	struct fabric_sge sge = { (uintptr_t)lmr->addr + off, len, lmr->lkey };
	struct fabric_send_wr wr = { .wr_id = id,
				     .opcode = op,
				     .signaled = true,
				     .num_sge = 1,
				     .sg_list = &sge,
				     .remote_addr = raddr,
				     .rkey = rkey };
	int ret;

	s->posting = true;
	ret = fabric_post_send(s->qp, &wr);
	s->posting = false;
	return ret;
}

static void test_connect_accept(void **state)
{
	struct env *e = *state;

	connect(e);
	assert_int_equal(e->a.connected, 1);
	assert_int_equal(e->a.conn_status, 0);
	assert_int_equal(e->a.pdata_len, 2);
	assert_memory_equal(e->a.pdata, "OK", 2);
	assert_int_equal(e->p.established, 1);
	assert_int_equal(e->resp_res_seen, 4);
}

static void test_connect_reject(void **state)
{
	struct env *e = *state;

	e->reject = true;
	connect(e);
	assert_int_equal(e->a.connected, 1);
	assert_int_equal(e->a.conn_status, -ECONNREFUSED);
	assert_memory_equal(e->a.pdata, "NO", 2);
	assert_null(e->p.qp);
}

static void test_qp_create_over_resources(void **state)
{
	struct env *e = *state;

	/* The target may not ask for more READs than the initiator's
	 * responder resources (4 here). */
	e->pattr.max_rd_atomic = 5;
	e->create_fail = true;
	connect(e);
	assert_int_equal(e->a.conn_status, -ECONNREFUSED);
}

static void test_send_recv(void **state)
{
	struct env *e = *state;

	connect(e);
	post_recv(&e->p, e->pmr, 7, 0, 64);
	memcpy(e->abuf, "hello srp", 9);
	assert_int_equal(post_one(&e->a, FABRIC_WR_SEND, e->amr, 0, 9, 0, 0, 1),
			 0);
	assert_int_equal(e->p.nwc, 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.nwc, 1);
	assert_int_equal(e->p.wc[0].wr_id, 7);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_SUCCESS);
	assert_int_equal(e->p.wc[0].len, 9);
	assert_memory_equal(e->pbuf, "hello srp", 9);
	assert_int_equal(e->a.nwc, 1);
	assert_int_equal(e->a.wc[0].st, FABRIC_WC_SUCCESS);
}

static void test_rnr_waits_for_receive(void **state)
{
	struct env *e = *state;

	connect(e);
	assert_int_equal(post_one(&e->a, FABRIC_WR_SEND, e->amr, 0, 8, 0, 0, 1),
			 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.nwc, 0);
	assert_int_equal(e->a.nwc, 0);
	post_recv(&e->p, e->pmr, 3, 0, 64);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.nwc, 1);
	assert_int_equal(e->a.nwc, 1);
}

static void test_send_too_long(void **state)
{
	struct env *e = *state;

	connect(e);
	post_recv(&e->p, e->pmr, 3, 0, 16);
	post_recv(&e->p, e->pmr, 4, 16, 16);
	assert_int_equal(
		post_one(&e->a, FABRIC_WR_SEND, e->amr, 0, 17, 0, 0, 1), 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_LOC_LEN_ERR);
	assert_int_equal(e->p.wc[1].st, FABRIC_WC_WR_FLUSH_ERR);
	assert_int_equal(e->a.wc[0].st, FABRIC_WC_REM_INV_REQ_ERR);
	assert_int_equal(e->a.disconnected, 1);
	assert_int_equal(e->p.disconnected, 1);
}

static void test_rdma_write_read(void **state)
{
	struct env *e = *state;
	uint64_t ra = (uintptr_t)e->abuf;

	connect(e);
	memset(e->pbuf, 0xab, 4096);
	assert_int_equal(post_one(&e->p, FABRIC_WR_RDMA_WRITE, e->pmr, 0, 4096,
				  ra + 100, e->amr->rkey, 1),
			 0);
	memset(e->abuf + 8192, 0x5c, 1000);
	assert_int_equal(post_one(&e->p, FABRIC_WR_RDMA_READ, e->pmr, 8192,
				  1000, ra + 8192, e->amr->rkey, 2),
			 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.nwc, 2);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_SUCCESS);
	assert_int_equal(e->p.wc[1].st, FABRIC_WC_SUCCESS);
	assert_int_equal(e->abuf[99], 0);
	assert_int_equal(e->abuf[100], 0xab);
	assert_int_equal(e->abuf[4195], 0xab);
	assert_int_equal(e->abuf[4196], 0);
	assert_int_equal(e->pbuf[8192 + 999], 0x5c);
}

static void test_rdma_bad_rkey(void **state)
{
	struct env *e = *state;

	connect(e);
	assert_int_equal(post_one(&e->p, FABRIC_WR_RDMA_WRITE, e->pmr, 0, 16,
				  (uintptr_t)e->abuf, e->amr->rkey + 1, 1),
			 0);
	post_one(&e->p, FABRIC_WR_RDMA_WRITE, e->pmr, 0, 16, (uintptr_t)e->abuf,
		 e->amr->rkey, 2);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_REM_ACCESS_ERR);
	assert_int_equal(e->p.wc[1].st, FABRIC_WC_WR_FLUSH_ERR);
	assert_int_equal(e->p.disconnected, 1);
}

static void test_rdma_out_of_bounds(void **state)
{
	struct env *e = *state;

	connect(e);
	post_one(&e->p, FABRIC_WR_RDMA_READ, e->pmr, 0, 16,
		 (uintptr_t)e->abuf + 65536 - 8, e->amr->rkey, 1);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_REM_ACCESS_ERR);
}

static void test_rdma_no_remote_access(void **state)
{
	struct env *e = *state;

	connect(e);
	/* pmr has LOCAL_WRITE only: the initiator may not write into it. */
	post_one(&e->a, FABRIC_WR_RDMA_WRITE, e->amr, 0, 16, (uintptr_t)e->pbuf,
		 e->pmr->rkey, 1);
	fabric_loop_run(e->f);
	assert_int_equal(e->a.wc[0].st, FABRIC_WC_REM_ACCESS_ERR);
}

static void test_local_key_checked(void **state)
{
	struct env *e = *state;
	struct fabric_mr *mr;
	uint8_t *tmp = calloc(1, 4096);

	connect(e);
	assert_int_equal(e->f->ops->mr_reg(e->f, tmp, 4096,
					   FABRIC_ACCESS_LOCAL_WRITE, &mr),
			 0);
	uint32_t stale = mr->lkey;

	e->f->ops->mr_dereg(mr); /* stale lkey */
	{
		struct fabric_sge sge = { (uintptr_t)tmp, 16, stale };
		struct fabric_send_wr wr = { .wr_id = 9,
					     .opcode = FABRIC_WR_RDMA_WRITE,
					     .signaled = true,
					     .num_sge = 1,
					     .sg_list = &sge,
					     .remote_addr = (uintptr_t)e->abuf,
					     .rkey = e->amr->rkey };

		assert_int_equal(fabric_post_send(e->p.qp, &wr), 0);
	}
	fabric_loop_run(e->f);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_LOC_PROT_ERR);
	free(tmp);
}

static void test_read_depth(void **state)
{
	struct env *e = *state;
	uint64_t ra = (uintptr_t)e->abuf;

	connect(e);
	/* max_rd_atomic 2: the third READ in flight is NAKed. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(post_one(&e->p, FABRIC_WR_RDMA_READ, e->pmr,
					  i * 64, 64, ra, e->amr->rkey, i),
				 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_SUCCESS);
	assert_int_equal(e->p.wc[1].st, FABRIC_WC_SUCCESS);
	assert_int_equal(e->p.wc[2].st, FABRIC_WC_REM_INV_REQ_ERR);
	/* Within the depth again after completions: fine on a new QP
	 * only; this one is in error now. */
	assert_int_equal(e->p.disconnected, 1);
}

static void test_sq_full(void **state)
{
	struct env *e = *state;
	int ret = 0, n = 0;

	connect(e);
	while (!ret && n < 100) {
		ret = post_one(&e->p, FABRIC_WR_RDMA_WRITE, e->pmr, 0, 8,
			       (uintptr_t)e->abuf, e->amr->rkey, n);
		n++;
	}
	assert_int_equal(ret, -ENOMEM);
	assert_int_equal(n, 17); /* sq_depth 16 */
}

static void test_disconnect_flush_drain(void **state)
{
	struct env *e = *state;

	connect(e);
	post_recv(&e->p, e->pmr, 1, 0, 64);
	post_recv(&e->p, e->pmr, 2, 64, 64);
	e->f->ops->disconnect(e->a.qp);
	fabric_loop_run(e->f);
	assert_int_equal(e->a.disconnected, 1);
	assert_int_equal(e->p.disconnected, 1);
	assert_int_equal(e->p.nwc, 2);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_WR_FLUSH_ERR);
	/* Posting on a QP in error: accepted, flushed. */
	assert_int_equal(post_one(&e->p, FABRIC_WR_SEND, e->pmr, 0, 8, 0, 0, 5),
			 0);
	assert_int_equal(e->f->ops->drain(e->p.qp), 0);
	assert_int_equal(e->p.drained, 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.nwc, 3);
	assert_int_equal(e->p.wc[2].wr_id, 5);
	assert_int_equal(e->p.wc[2].st, FABRIC_WC_WR_FLUSH_ERR);
	assert_int_equal(e->p.drained, 1);
	assert_int_equal(e->p.disconnected, 1);
}

static void test_doorbell_through_loop(void **state)
{
	struct env *e = *state;
	struct fabric_qp_attr aattr = { .sq_depth = 16,
					.rq_depth = 8,
					.max_sge = 4 };
	int i;

	assert_int_equal(fabric_loop_connect(e->f, e->cq, &aattr, &hs, &e->a,
					     "LOGIN", 5, false, 4, &e->a.qp),
			 0);
	for (i = 0; i < 100 && !e->a.connected; i++)
		loop_run_once(e->loop, 10);
	assert_int_equal(e->a.connected, 1);
}

static void test_private_data_limits(void **state)
{
	struct env *e = *state;
	struct fabric_qp_attr aattr = { .sq_depth = 16,
					.rq_depth = 8,
					.max_sge = 4 };
	uint8_t pd[100] = "LOGIN";
	struct fabric_qp *qp;

	/* IB CM REQ carries 92 bytes; RDMA/CM leaves 56 of them. */
	assert_int_equal(fabric_loop_connect(e->f, e->cq, &aattr, &hs, &e->a,
					     pd, 93, false, 4, &qp),
			 -EINVAL);
	assert_int_equal(fabric_loop_connect(e->f, e->cq, &aattr, &hs, &e->a,
					     pd, 57, true, 4, &qp),
			 -EINVAL);
	connect(e);
	assert_int_equal(e->a.conn_status, 0);
}

static void test_rdma_read_scatter(void **state)
{
	struct env *e = *state;
	struct fabric_sge sge[3] = {
		{ (uintptr_t)e->pbuf + 0, 100, e->pmr->lkey },
		{ (uintptr_t)e->pbuf + 1000, 200, e->pmr->lkey },
		{ (uintptr_t)e->pbuf + 5000, 300, e->pmr->lkey },
	};
	struct fabric_send_wr wr = { .wr_id = 1,
				     .opcode = FABRIC_WR_RDMA_READ,
				     .signaled = true,
				     .num_sge = 3,
				     .sg_list = sge,
				     .rkey = e->amr->rkey };

	connect(e);
	for (int i = 0; i < 600; i++)
		e->abuf[i] = i * 7;
	wr.remote_addr = (uintptr_t)e->abuf;
	assert_int_equal(fabric_post_send(e->p.qp, &wr), 0);
	fabric_loop_run(e->f);
	assert_int_equal(e->p.wc[0].st, FABRIC_WC_SUCCESS);
	assert_memory_equal(e->pbuf, e->abuf, 100);
	assert_memory_equal(e->pbuf + 1000, e->abuf + 100, 200);
	assert_memory_equal(e->pbuf + 5000, e->abuf + 300, 300);
	/* More SGEs than the QP allows: refused at post time. */
	wr.num_sge = 5;
	assert_int_equal(fabric_post_send(e->p.qp, &wr), -EINVAL);
}

static void test_unsignaled_chain(void **state)
{
	struct env *e = *state;
	struct fabric_sge sge = { (uintptr_t)e->pbuf, 8, e->pmr->lkey };
	struct fabric_send_wr w[3];

	connect(e);
	post_recv(&e->a, e->amr, 9, 4096, 64);
	for (int i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].wr_id = i;
		w[i].opcode = i < 2 ? FABRIC_WR_RDMA_WRITE : FABRIC_WR_SEND;
		w[i].signaled = i == 2;
		w[i].num_sge = 1;
		w[i].sg_list = &sge;
		w[i].remote_addr = (uintptr_t)e->abuf + i * 8;
		w[i].rkey = e->amr->rkey;
		w[i].next = i < 2 ? &w[i + 1] : NULL;
	}
	memcpy(e->pbuf, "RDMAdata", 8);
	assert_int_equal(fabric_post_send(e->p.qp, w), 0);
	fabric_loop_run(e->f);
	/* Only the SEND completes; the WRITEs landed before it. */
	assert_int_equal(e->p.nwc, 1);
	assert_int_equal(e->p.wc[0].wr_id, 2);
	assert_memory_equal(e->abuf, "RDMAdataRDMAdata", 16);
	assert_int_equal(e->a.nwc, 1);
	assert_int_equal(e->a.wc[0].len, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_accept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_connect_reject, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qp_create_over_resources,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_recv, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rnr_waits_for_receive,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_too_long, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rdma_write_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rdma_bad_rkey, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rdma_out_of_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rdma_no_remote_access,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_key_checked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_depth, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sq_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_flush_drain,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_through_loop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_data_limits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rdma_read_scatter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unsignaled_chain, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
