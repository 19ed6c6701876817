/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Smoke test of the verbs fabric on a real RDMA device (Soft-RoCE in the
 * test VM; the host has no RDMA device).  Not a ctest test: run it as
 *
 *   verbs_smoke [-v] ADDR PORT
 *
 * where ADDR is an IP address of an RDMA-capable netdev.  The fabric
 * listens on ADDR:PORT on the main thread; a client thread connects to it
 * with plain librdmacm (synchronous rdma_create_ep), like an initiator:
 *
 *  1. a login the server rejects: the client must see ECONNREFUSED and
 *     the reject's private data;
 *  2. a login the server accepts (private data both ways); the server
 *     RDMA WRITEs 8 KiB (2 SGEs) chained before a SEND, the client checks
 *     the data landed before the SEND; the server RDMA READs 12 KiB (3
 *     chained READs, last signalled) and checks them; the two posts of
 *     that callback reach the device as one post at the end of the loop
 *     round, and the SQ counts them meanwhile; post_send's -ENOMEM
 *     (chain longer than the SQ, nothing posted) and -EINVAL (too many
 *     SGEs); the client SENDs "bye", the server disconnects (DREQ), then
 *     drains: the receives still posted must come back flushed before
 *     drained();
 *  3. a login the client disconnects right away: the server sees
 *     disconnected() (peer DREQ), drains and destroys.
 *
 * Prints "PASS name" / "FAIL name: why" lines and "verbs_smoke: N passed,
 * N failed"; exits 0 only if everything passed.
 */
#include <errno.h>
#include <getopt.h>
#include <infiniband/verbs.h>
#include <pthread.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fabric/verbs.h"
#include "log.h"
#include "loop.h"

#define SMOKE_MAGIC "SMOKE-1"
#define BUF_SIZE 65536
#define WRITE_LEN 8192
#define READ_OFF 16384
#define READ_LEN 12288
#define NRECV 8
#define RECV_SIZE 256
#define SQ_DEPTH 16

enum smoke_mode { M_ACCEPT, M_REJECT, M_PEER_DISC };

/* 56 bytes like srp_login_req_rdma: what fits after the CMA header. */
struct smoke_login {
	char magic[8];
	uint64_t addr;
	uint32_t rkey;
	uint32_t len;
	uint32_t mode;
	uint8_t pad[28];
};
_Static_assert(sizeof(struct smoke_login) == 56, "56-byte login");

static const char *g_addr, *g_port;
static atomic_int g_pass, g_fail;

static void result(bool ok, const char *name, const char *fmt, ...)
	SRPTD_PRINTF(3, 4);
static void result(bool ok, const char *name, const char *fmt, ...)
{
	char why[256] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ok) {
		atomic_fetch_add(&g_pass, 1);
		printf("PASS %s\n", name);
	} else {
		atomic_fetch_add(&g_fail, 1);
		printf("FAIL %s: %s\n", name, why);
	}
	fflush(stdout);
}

static uint8_t pat_a(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t pat_b(size_t i)
{
	return (uint8_t)(i * 13 + 101);
}

/* ---- server (the fabric under test) ------------------------------------ */

static const struct fabric_qp_handlers srv_handlers;

struct srv_conn {
	struct srv *s;
	struct fabric_qp *qp;
	enum smoke_mode mode;
	uint64_t raddr;
	uint32_t rkey;
	bool established, disconnected, drained, got_bye, read_done;
	unsigned int recv_ok, recv_flushed, sends_ok, reads_ok;
	unsigned int other_errors;
	struct fabric_cq_counters cnt0; /* before the posts of established */
	atomic_bool done; /* read by the main thread in -t mode */
};

struct srv {
	struct loop *loop;
	struct fabric *f;
	struct fabric_cq *cq;
	uint8_t *buf, *rbuf;
	struct fabric_mr *mr, *rmr;
	struct srv_conn conns[3];
	unsigned int nconns;
	unsigned int rejects;
	atomic_bool client_done;
	struct loop *wloop; /* -t: the CQ's loop, run by a worker thread */
	atomic_bool wstop;
};

static bool g_expect_unused; /* -r: the fabric rejects (filtered device) */

static void srv_post_recvs(struct srv_conn *sc)
{
	struct srv *s = sc->s;
	struct fabric_recv_wr wr[NRECV];
	unsigned int base = (unsigned int)(sc - s->conns) * NRECV;

	for (unsigned int i = 0; i < NRECV; i++) {
		wr[i].next = i + 1 < NRECV ? &wr[i + 1] : NULL;
		wr[i].wr_id = 1000 + i;
		wr[i].sge.addr = (uintptr_t)(s->rbuf + (base + i) * RECV_SIZE);
		wr[i].sge.length = RECV_SIZE;
		wr[i].sge.lkey = s->rmr->lkey;
	}
	result(fabric_post_recv(sc->qp, wr) == 0, "post_recv", "failed");
}

static void srv_sq_checks(struct srv_conn *sc)
{
	struct srv *s = sc->s;
	struct fabric_send_wr w[SQ_DEPTH + 1], *bad = NULL;
	struct fabric_sge sge[3];
	int ret;

	for (unsigned int i = 0; i < 3; i++) {
		sge[i].addr = (uintptr_t)s->buf;
		sge[i].length = 16;
		sge[i].lkey = s->mr->lkey;
	}
	for (unsigned int i = 0; i <= SQ_DEPTH; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].next = i < SQ_DEPTH ? &w[i + 1] : NULL;
		w[i].opcode = FABRIC_WR_SEND;
		w[i].num_sge = 1;
		w[i].sg_list = sge;
	}
	ret = s->f->ops->post_send(sc->qp, w, &bad);
	result(ret == -ENOMEM && bad == w, "post_send_sq_full",
	       "chain of %u on a %u-deep SQ returned %d", SQ_DEPTH + 1,
	       SQ_DEPTH, ret);
	w[0].next = NULL;
	w[0].num_sge = 3;
	ret = s->f->ops->post_send(sc->qp, w, &bad);
	result(ret == -EINVAL, "post_send_too_many_sge",
	       "3 SGEs with max_sge 2 returned %d", ret);
}

static void srv_conn_request(void *ctx, struct fabric_conn_req *req,
			     const struct fabric_conn_info *info)
{
	struct srv *s = ctx;
	const struct smoke_login *lg = info->private_data;
	struct fabric_qp_attr attr = {
		.sq_depth = SQ_DEPTH,
		.rq_depth = NRECV,
		.max_sge = 2,
	};
	struct srv_conn *sc;
	int ret;

	if (g_expect_unused) {
		result(false, "filtered_device_not_offered",
		       "conn_request from %s", info->peer_name);
		s->f->ops->reject(req, NULL, NULL, 0);
		return;
	}
	if (info->private_data_len < sizeof(*lg) ||
	    memcmp(lg->magic, SMOKE_MAGIC, sizeof(SMOKE_MAGIC)) ||
	    !info->rdma_cm_format || s->nconns == 3) {
		result(false, "conn_request",
		       "unexpected request (%u bytes, rdma_cm_format %d)",
		       info->private_data_len, info->rdma_cm_format);
		s->f->ops->reject(req, NULL, NULL, 0);
		return;
	}
	printf("INFO server: request from %s, responder_resources %u initiator_depth %u\n",
	       info->peer_name, info->responder_resources,
	       info->initiator_depth);
	result(info->fabric == s->f, "conn_info_fabric", "%p, expected %p",
	       (void *)info->fabric, (void *)s->f);
	/* ib_srp-like client: responder_resources 4, initiator_depth 0. */
	result(info->responder_resources == 4 && info->initiator_depth == 0,
	       "conn_info_depths", "responder_resources %u initiator_depth %u",
	       info->responder_resources, info->initiator_depth);
	if (lg->mode == M_REJECT) {
		ret = s->f->ops->reject(req, NULL, "REJ-SMOKE", 10);
		result(ret == 0, "reject", "reject returned %d", ret);
		s->rejects++;
		return;
	}
	sc = &s->conns[s->nconns++];
	sc->s = s;
	sc->mode = lg->mode;
	sc->raddr = lg->addr;
	sc->rkey = lg->rkey;
	attr.max_rd_atomic =
		info->responder_resources < 4 ? info->responder_resources : 4;
	if (sc->mode == M_ACCEPT) {
		/* A QP whose flushed WRs could overrun the CQ is refused,
		 * and the request stays usable. */
		struct fabric_qp_attr big = attr;
		struct fabric_qp *bq = NULL;

		big.sq_depth = 70000;
		ret = s->f->ops->qp_create(req, s->cq, &big, &srv_handlers, sc,
					   &bq);
		result(ret == -ENOMEM, "qp_create_cq_full",
		       "sq_depth 70000 on a CQ of at most 32768 entries: %d",
		       ret);
	}
	ret = s->f->ops->qp_create(req, s->cq, &attr, &srv_handlers, sc,
				   &sc->qp);
	result(ret == 0, "qp_create", "returned %d", ret);
	if (ret) {
		s->f->ops->reject(req, NULL, NULL, 0);
		sc->done = true;
		return;
	}
	srv_post_recvs(sc);
	if (sc->mode == M_ACCEPT)
		srv_sq_checks(sc);
	ret = s->f->ops->accept(req, sc->qp, "ACCEPT-SMOKE", 13);
	result(ret == 0, "accept", "returned %d", ret);
}

/*
 * After the 5 WRs of established (a callback of the CQ's loop): nothing
 * reached the device yet (one post at the end of the round, checked in
 * srv_send_done), and the SQ counts them: a chain longer than the room
 * left is refused whole.
 */
static void srv_round_checks(struct srv_conn *sc)
{
	struct srv *s = sc->s;
	struct fabric_cq_counters cnt;
	struct fabric_send_wr w[SQ_DEPTH - 4], *bad = NULL;
	struct fabric_sge sge = { .addr = (uintptr_t)s->buf,
				  .length = 16,
				  .lkey = s->mr->lkey };
	int ret;

	s->f->ops->cq_counters(s->cq, &cnt);
	result(cnt.send_posts == sc->cnt0.send_posts, "post_deferred_to_round",
	       "%llu device posts during the round",
	       (unsigned long long)(cnt.send_posts - sc->cnt0.send_posts));
	memset(w, 0, sizeof(w));
	for (unsigned int i = 0; i < SQ_DEPTH - 4; i++) {
		w[i].next = i + 1 < SQ_DEPTH - 4 ? &w[i + 1] : NULL;
		w[i].opcode = FABRIC_WR_SEND;
		w[i].num_sge = 1;
		w[i].sg_list = &sge;
	}
	ret = s->f->ops->post_send(sc->qp, w, &bad);
	result(ret == -ENOMEM && bad == w, "post_send_sq_full_pending",
	       "chain of %u with 5 of %u slots pending returned %d",
	       SQ_DEPTH - 4, SQ_DEPTH, ret);
}

static void srv_established(void *ctx)
{
	struct srv_conn *sc = ctx;
	struct srv *s = sc->s;
	struct fabric_sge wsge[2], ssge, rsge[3];
	struct fabric_send_wr w[2], r[3];
	int ret;

	sc->established = true;
	result(true, "established", "%s", "");
	if (sc->mode != M_ACCEPT)
		return;
	s->f->ops->cq_counters(s->cq, &sc->cnt0);
	for (size_t i = 0; i < WRITE_LEN; i++)
		s->buf[i] = pat_a(i);
	memcpy(s->buf + 32768, "hello", 6);
	/* RDMA WRITE (2 SGEs, unsignalled) chained before the SEND. */
	for (unsigned int i = 0; i < 2; i++) {
		wsge[i].addr = (uintptr_t)s->buf + i * (WRITE_LEN / 2);
		wsge[i].length = WRITE_LEN / 2;
		wsge[i].lkey = s->mr->lkey;
	}
	ssge.addr = (uintptr_t)s->buf + 32768;
	ssge.length = 6;
	ssge.lkey = s->mr->lkey;
	memset(w, 0, sizeof(w));
	w[0].next = &w[1];
	w[0].wr_id = 1;
	w[0].opcode = FABRIC_WR_RDMA_WRITE;
	w[0].num_sge = 2;
	w[0].sg_list = wsge;
	w[0].remote_addr = sc->raddr;
	w[0].rkey = sc->rkey;
	w[1].wr_id = 2;
	w[1].opcode = FABRIC_WR_SEND;
	w[1].signaled = true;
	w[1].num_sge = 1;
	w[1].sg_list = &ssge;
	ret = fabric_post_send(sc->qp, w);
	result(ret == 0, "post_write_send", "returned %d", ret);
	/* Three chained RDMA READs, only the last signalled. */
	memset(s->buf + READ_OFF, 0, READ_LEN);
	memset(r, 0, sizeof(r));
	for (unsigned int i = 0; i < 3; i++) {
		rsge[i].addr = (uintptr_t)s->buf + READ_OFF + i * 4096;
		rsge[i].length = 4096;
		rsge[i].lkey = s->mr->lkey;
		r[i].next = i < 2 ? &r[i + 1] : NULL;
		r[i].wr_id = 10 + i;
		r[i].opcode = FABRIC_WR_RDMA_READ;
		r[i].signaled = i == 2;
		r[i].num_sge = 1;
		r[i].sg_list = &rsge[i];
		r[i].remote_addr = sc->raddr + READ_OFF + i * 4096;
		r[i].rkey = sc->rkey;
	}
	ret = fabric_post_send(sc->qp, r);
	result(ret == 0, "post_read_chain", "returned %d", ret);
	srv_round_checks(sc);
}

/* Our DREQ once the READs are back and the client said bye. */
static void srv_maybe_disconnect(struct srv_conn *sc)
{
	if (sc->got_bye && sc->read_done)
		result(sc->s->f->ops->disconnect(sc->qp) == 0, "disconnect",
		       "failed");
}

static void srv_recv_done(void *ctx, uint64_t wr_id, enum fabric_wc_status st,
			  uint32_t len)
{
	struct srv_conn *sc = ctx;
	struct srv *s = sc->s;
	unsigned int base = (unsigned int)(sc - s->conns) * NRECV;
	const char *msg;

	if (st == FABRIC_WC_WR_FLUSH_ERR) {
		sc->recv_flushed++;
		return;
	}
	if (st != FABRIC_WC_SUCCESS) {
		sc->other_errors++;
		result(false, "recv", "status %s", fabric_wc_status_str(st));
		return;
	}
	sc->recv_ok++;
	msg = (const char *)s->rbuf + (base + (wr_id - 1000)) * RECV_SIZE;
	result(len == 7 && !memcmp(msg, "BYE-OK", 7), "recv_bye",
	       "got %u bytes '%.*s'", len, (int)(len < 16 ? len : 16), msg);
	sc->got_bye = true;
	srv_maybe_disconnect(sc);
}

static void srv_send_done(void *ctx, uint64_t wr_id, enum fabric_wc_status st)
{
	struct srv_conn *sc = ctx;

	if (st == FABRIC_WC_SUCCESS) {
		struct fabric_cq_counters cnt;

		sc->sends_ok++;
		result(wr_id == 2, "send_done", "wr_id %llu",
		       (unsigned long long)wr_id);
		/* WRITE + SEND and the 3 READs of one round: one post. */
		sc->s->f->ops->cq_counters(sc->s->cq, &cnt);
		result(cnt.send_posts - sc->cnt0.send_posts == 1 &&
			       cnt.send_wrs - sc->cnt0.send_wrs == 5,
		       "one_post_per_round", "%llu posts of %llu WRs",
		       (unsigned long long)(cnt.send_posts -
					    sc->cnt0.send_posts),
		       (unsigned long long)(cnt.send_wrs - sc->cnt0.send_wrs));
	} else if (st != FABRIC_WC_WR_FLUSH_ERR) {
		sc->other_errors++;
		result(false, "send_done", "status %s",
		       fabric_wc_status_str(st));
	}
}

static void srv_rdma_done(void *ctx, uint64_t wr_id, enum fabric_wc_status st)
{
	struct srv_conn *sc = ctx;
	struct srv *s = sc->s;
	size_t bad = 0;

	if (st != FABRIC_WC_SUCCESS) {
		if (st != FABRIC_WC_WR_FLUSH_ERR)
			sc->other_errors++;
		result(st == FABRIC_WC_WR_FLUSH_ERR, "rdma_done", "status %s",
		       fabric_wc_status_str(st));
		return;
	}
	sc->reads_ok++;
	for (size_t i = 0; i < READ_LEN; i++)
		if (s->buf[READ_OFF + i] != pat_b(i))
			bad++;
	result(wr_id == 12 && !bad, "rdma_read_data",
	       "wr_id %llu, %zu bad bytes", (unsigned long long)wr_id, bad);
	sc->read_done = true;
	srv_maybe_disconnect(sc);
}

static void srv_disconnected(void *ctx)
{
	struct srv_conn *sc = ctx;
	int ret;

	result(!sc->disconnected, "disconnected_once", "called twice");
	sc->disconnected = true;
	ret = sc->s->f->ops->drain(sc->qp);
	result(ret == 0, "drain", "returned %d", ret);
}

static void srv_drained(void *ctx)
{
	struct srv_conn *sc = ctx;
	/* Every receive posted and not consumed must have been flushed. */
	unsigned int expect = NRECV - sc->recv_ok;

	sc->drained = true;
	result(sc->recv_flushed == expect, "drained_after_flush",
	       "%u receives flushed, expected %u", sc->recv_flushed, expect);
	if (sc->mode == M_ACCEPT)
		result(sc->sends_ok == 1 && sc->reads_ok == 1 &&
			       !sc->other_errors,
		       "data_path_complete", "sends %u reads %u errors %u",
		       sc->sends_ok, sc->reads_ok, sc->other_errors);
	sc->s->f->ops->qp_destroy(sc->qp);
	sc->qp = NULL;
	sc->done = true;
}

static const struct fabric_qp_handlers srv_handlers = {
	.recv_done = srv_recv_done,
	.send_done = srv_send_done,
	.rdma_done = srv_rdma_done,
	.established = srv_established,
	.disconnected = srv_disconnected,
	.drained = srv_drained,
};

/* ---- client (a plain librdmacm initiator on its own thread) ------------ */

struct cli {
	struct rdma_cm_id *id;
	struct ibv_mr *mr;
	uint8_t *buf;
};

static int cli_connect(struct cli *c, enum smoke_mode mode,
		       struct rdma_cm_event **ev_out)
{
	struct rdma_addrinfo hints = { 0 }, *res = NULL;
	struct ibv_qp_init_attr ia = { 0 };
	struct rdma_conn_param cp = { 0 };
	struct smoke_login lg = { 0 };
	int ret;

	hints.ai_port_space = RDMA_PS_TCP;
	ret = rdma_getaddrinfo(g_addr, g_port, &hints, &res);
	if (ret) {
		printf("INFO client: rdma_getaddrinfo: %s\n", strerror(errno));
		return -1;
	}
	ia.cap.max_send_wr = 8;
	ia.cap.max_recv_wr = 8;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	ia.qp_type = IBV_QPT_RC;
	ret = rdma_create_ep(&c->id, res, NULL, &ia);
	rdma_freeaddrinfo(res);
	if (ret) {
		printf("INFO client: rdma_create_ep: %s\n", strerror(errno));
		return -1;
	}
	c->buf = aligned_alloc(4096, BUF_SIZE);
	memset(c->buf, 0, BUF_SIZE);
	for (size_t i = 0; i < READ_LEN; i++)
		c->buf[READ_OFF + i] = pat_b(i);
	c->mr = ibv_reg_mr(c->id->pd, c->buf, BUF_SIZE,
			   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
				   IBV_ACCESS_REMOTE_WRITE);
	if (!c->mr) {
		printf("INFO client: ibv_reg_mr: %s\n", strerror(errno));
		return -1;
	}
	/* One receive for the server's "hello". */
	if (rdma_post_recv(c->id, NULL, c->buf + 32768, 256, c->mr)) {
		printf("INFO client: rdma_post_recv: %s\n", strerror(errno));
		return -1;
	}
	memcpy(lg.magic, SMOKE_MAGIC, sizeof(SMOKE_MAGIC));
	lg.addr = (uintptr_t)c->buf;
	lg.rkey = c->mr->rkey;
	lg.len = BUF_SIZE;
	lg.mode = mode;
	cp.private_data = &lg;
	cp.private_data_len = sizeof(lg);
	/* What ib_srp offers (doc/srp-protocol.md 12). */
	cp.responder_resources = 4;
	cp.initiator_depth = 0;
	cp.flow_control = 1;
	cp.retry_count = 7;
	cp.rnr_retry_count = 7;
	ret = rdma_connect(c->id, &cp);
	*ev_out = c->id->event;
	return ret ? -errno : 0;
}

static void cli_close(struct cli *c)
{
	if (c->mr)
		rdma_dereg_mr(c->mr);
	if (c->id)
		rdma_destroy_ep(c->id);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* Wait for DISCONNECTED on the client id (sync mode has its channel). */
static bool cli_wait_disconnected(struct cli *c)
{
	struct rdma_cm_event *ev;
	bool ok = false;

	while (rdma_get_cm_event(c->id->channel, &ev) == 0) {
		enum rdma_cm_event_type t = ev->event;

		rdma_ack_cm_event(ev);
		if (t == RDMA_CM_EVENT_DISCONNECTED) {
			ok = true;
			break;
		}
		printf("INFO client: event %s\n", rdma_event_str(t));
	}
	return ok;
}

static void *cli_thread(void *arg)
{
	struct srv *s = arg;
	struct rdma_cm_event *ev = NULL;
	struct ibv_wc wc;
	struct cli c = { 0 };
	size_t bad = 0;
	int ret;

	if (g_expect_unused) {
		/* The only device serving ADDR is filtered out: the fabric
		 * itself rejects, without private data. */
		ret = cli_connect(&c, M_ACCEPT, &ev);
		result(ret == -ECONNREFUSED, "client_sees_fabric_reject",
		       "rdma_connect %d", ret);
		goto out;
	}
	/* 1. rejected login */
	ret = cli_connect(&c, M_REJECT, &ev);
	result(ret == -ECONNREFUSED && ev &&
		       ev->param.conn.private_data_len >= 10 &&
		       !memcmp(ev->param.conn.private_data, "REJ-SMOKE", 10),
	       "client_sees_reject", "rdma_connect %d, private data %s", ret,
	       ev && ev->param.conn.private_data ?
		       (const char *)ev->param.conn.private_data :
		       "none");
	cli_close(&c);

	/* 2. accepted login with data movement */
	ret = cli_connect(&c, M_ACCEPT, &ev);
	result(ret == 0 && ev && ev->param.conn.private_data_len >= 13 &&
		       !memcmp(ev->param.conn.private_data, "ACCEPT-SMOKE", 13),
	       "client_sees_accept", "rdma_connect %d", ret);
	if (ret)
		goto out;
	ret = rdma_get_recv_comp(c.id, &wc);
	result(ret > 0 && wc.status == IBV_WC_SUCCESS && wc.byte_len == 6 &&
		       !memcmp(c.buf + 32768, "hello", 6),
	       "client_recv_hello", "ret %d status %s len %u", ret,
	       ibv_wc_status_str(wc.status), wc.byte_len);
	for (size_t i = 0; i < WRITE_LEN; i++)
		if (c.buf[i] != pat_a(i))
			bad++;
	/* RC ordering: the WRITE chained before the SEND landed first. */
	result(!bad, "rdma_write_before_send", "%zu bad bytes", bad);
	memcpy(c.buf + 40000, "BYE-OK", 7);
	ret = rdma_post_send(c.id, NULL, c.buf + 40000, 7, c.mr,
			     IBV_SEND_SIGNALED);
	if (!ret)
		ret = rdma_get_send_comp(c.id, &wc);
	result(ret > 0 && wc.status == IBV_WC_SUCCESS, "client_send_bye",
	       "ret %d status %s", ret, ibv_wc_status_str(wc.status));
	result(cli_wait_disconnected(&c), "client_sees_dreq", "no event");
	rdma_disconnect(c.id);
	cli_close(&c);

	/* 3. the client disconnects first */
	ret = cli_connect(&c, M_PEER_DISC, &ev);
	result(ret == 0, "client_connect_3", "rdma_connect %d", ret);
	if (ret)
		goto out;
	/* Synchronous id: rdma_disconnect returns with the DREP
	 * (DISCONNECTED event). */
	result(rdma_disconnect(c.id) == 0, "client_disconnect_drep", "%s",
	       strerror(errno));
out:
	cli_close(&c);
	atomic_store(&s->client_done, true);
	return NULL;
}

/* ---- main ---------------------------------------------------------------- */

static void timeout_cb(void *arg)
{
	struct srv *s = arg;

	(void)s;
	result(false, "timeout", "smoke test still running after 120 s");
	printf("verbs_smoke: %d passed, %d failed\n", atomic_load(&g_pass),
	       atomic_load(&g_fail));
	fflush(stdout);
	_exit(1);
}

static void *worker_thread(void *arg)
{
	struct srv *s = arg;

	while (!atomic_load(&s->wstop))
		loop_run_once(s->wloop, 50);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: verbs_smoke [-v] [-t] [-f PORT_FILTER] [-n] [-r] ADDR PORT\n"
		"  -t  CQ and data path on a worker thread (CM events forwarded)\n"
		"  -f  fabric port filter (\"rxe0:1\", \"rxe1\", ...)\n"
		"  -n  expect fabric creation to fail with ENODEV\n"
		"  -r  expect the fabric to reject logins (device filtered)\n");
}

int main(int argc, char **argv)
{
	static const struct fabric_listener_handlers lh = {
		.conn_request = srv_conn_request,
	};
	struct fabric_verbs_listen l = { 0 };
	struct fabric_verbs_params p = { 0 };
	char filter[1][64];
	struct srv s = { 0 };
	struct loop_timer *t;
	struct loop *cq_loop;
	pthread_t th, wth;
	bool verbose = false, threaded = false, expect_nodev = false;
	bool wth_started = false;
	int ret, opt;

	while ((opt = getopt(argc, argv, "vtf:nr")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 't':
			threaded = true;
			break;
		case 'f':
			snprintf(filter[0], sizeof(filter[0]), "%s", optarg);
			p.ports = (const char(*)[64])filter;
			p.n_ports = 1;
			break;
		case 'n':
			expect_nodev = true;
			break;
		case 'r':
			g_expect_unused = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage();
		return 2;
	}
	g_addr = argv[optind];
	g_port = argv[optind + 1];
	log_init("verbs_smoke", LOG_SINK_STDERR);
	log_set_level(verbose ? LOG_DEBUG : LOG_INFO);
	if (loop_create(&s.loop))
		return 1;
	snprintf(l.addr, sizeof(l.addr), "%s", g_addr);
	l.port = (uint16_t)atoi(g_port);
	p.listen = &l;
	p.n_listen = 1;
	ret = fabric_verbs_create(s.loop, &p, &lh, &s, &s.f);
	if (expect_nodev) {
		result(ret == -ENODEV, "fabric_create_nodev", "returned %d",
		       ret);
		if (!ret)
			fabric_verbs_destroy(s.f);
		goto out_loop;
	}
	result(ret == 0, "fabric_create", "returned %d (%s)", ret,
	       strerror(-ret));
	if (ret)
		goto out_loop;
	printf("INFO caps: max_qp_wr %u max_sge %u max_rd_atomic %u\n",
	       s.f->caps.max_qp_wr, s.f->caps.max_sge, s.f->caps.max_rd_atomic);
	cq_loop = s.loop;
	if (threaded) {
		if (loop_create(&s.wloop))
			goto out;
		cq_loop = s.wloop;
	}
	/* Before the worker runs its loop (verbs.h threading rules). */
	ret = s.f->ops->cq_create(s.f, cq_loop, 256, &s.cq);
	result(ret == 0, "cq_create", "returned %d", ret);
	s.buf = aligned_alloc(4096, BUF_SIZE);
	s.rbuf = aligned_alloc(4096, 8192); /* >= 3 * NRECV * RECV_SIZE */
	ret = s.f->ops->mr_reg(s.f, s.buf, BUF_SIZE, FABRIC_ACCESS_LOCAL_WRITE,
			       &s.mr);
	if (!ret)
		ret = s.f->ops->mr_reg(s.f, s.rbuf, 3 * NRECV * RECV_SIZE,
				       FABRIC_ACCESS_LOCAL_WRITE, &s.rmr);
	result(ret == 0, "mr_reg", "returned %d", ret);
	if (ret || !s.cq)
		goto out;
	if (threaded) {
		if (pthread_create(&wth, NULL, worker_thread, &s))
			goto out;
		wth_started = true;
	}
	loop_timer_add(s.loop, 120000, 0, timeout_cb, &s, &t);
	if (pthread_create(&th, NULL, cli_thread, &s))
		goto out;
	while (!loop_stopping(s.loop)) {
		bool all = atomic_load(&s.client_done) &&
			   (g_expect_unused || s.nconns == 2);

		for (unsigned int i = 0; i < s.nconns; i++)
			all &= atomic_load(&s.conns[i].done);
		if (all)
			break;
		loop_run_once(s.loop, 100);
	}
	pthread_join(th, NULL);
	if (!loop_stopping(s.loop))
		loop_timer_cancel(s.loop, t);
	if (wth_started) {
		atomic_store(&s.wstop, true);
		pthread_join(wth, NULL);
		wth_started = false;
	}
	if (!g_expect_unused)
		result(s.rejects == 1 && s.nconns == 2, "all_logins_seen",
		       "%u rejects, %u connections", s.rejects, s.nconns);
	for (unsigned int i = 0; i < s.nconns; i++)
		if (s.conns[i].qp) {
			result(false, "qp_released",
			       "connection %u not drained", i);
			s.f->ops->qp_destroy(s.conns[i].qp);
		}
out:
	if (wth_started) {
		atomic_store(&s.wstop, true);
		pthread_join(wth, NULL);
	}
	if (s.mr)
		s.f->ops->mr_dereg(s.mr);
	if (s.rmr)
		s.f->ops->mr_dereg(s.rmr);
	if (s.cq)
		s.f->ops->cq_destroy(s.cq);
	fabric_verbs_destroy(s.f);
	free(s.buf);
	free(s.rbuf);
	if (s.wloop)
		loop_destroy(s.wloop);
out_loop:
	loop_destroy(s.loop);
	printf("verbs_smoke: %d passed, %d failed\n", atomic_load(&g_pass),
	       atomic_load(&g_fail));
	return atomic_load(&g_fail) || !atomic_load(&g_pass) ? 1 : 0;
}
