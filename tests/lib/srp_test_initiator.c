/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Test SRP initiator (see srp_test_initiator.h).  Behaves like Linux
 * ib_srp where it matters to the target: login private data, one credit of
 * the request limit (SRP r16a SRP_LOGIN_RSP and SRP_RSP REQUEST LIMIT
 * DELTA) kept back for task management, TM tags with bit 31 set so they
 * never collide with command tags, immediate data at offset 68 of the
 * SRP_CMD (the immediate-data extension, include/srptd/srp_proto.h),
 * memory descriptors of 16 bytes pointing at registered memory.  Tags are slot | generation << 16 so a response is
 * matched without a search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fabric_loop.h"
#include "loop.h"
#include "srp/srp_iu.h"
#include "srp_test_initiator.h"
#include "srptd/srp_proto.h"
#include "util.h"

#define TI_RECV_LEN 4096
#define TI_TABLE_MAX 256
#define TI_TM_BIT (1ULL << 31)

struct srp_ti_slot {
	struct srp_ti_cmd *cmd;
	uint16_t gen;
};

struct srp_ti {
	struct fabric *f;
	struct fabric_qp *qp;
	struct srp_ti_params p;
	enum srp_ti_state state;
	uint32_t reject_reason;
	uint32_t login_credits;
	uint8_t login_flags;
	uint32_t max_it_iu_len;
	int32_t credits;
	unsigned int inflight;
	bool t_logout;
	bool drained;
	/* Memory: data (remote access), send buffers + tables, receives. */
	uint8_t *mem;
	struct fabric_mr *mem_mr;
	uint8_t *ctl; /* send buffers and tables: slots * (iu + table) */
	size_t ctl_len;
	struct fabric_mr *ctl_mr;
	uint8_t *rbuf;
	struct fabric_mr *rbuf_mr;
	struct fabric_recv_wr *rwr;
	unsigned int nrecv;
	struct srp_ti_slot *slots;
	unsigned int *free_slots;
	unsigned int n_free;
	uint32_t send_stride;
	uint8_t raw_buf[8192];
	unsigned int raw_idx;
	unsigned int cred_reqs; /* SRP_CRED_REQs received */
	/* The last responses no command of ours was waiting for. */
	struct srp_ti_cmd stray[4];
	unsigned int n_stray;
};

void srp_ti_params_default(struct srp_ti_params *p)
{
	memset(p, 0, sizeof(*p));
	p->it_iu_len = SRP_LINUX_DEFAULT_IT_IU_LEN;
	p->responder_resources = 4;
	p->slots = 256;
	p->mem_size = 4 << 20;
	p->enforce_credits = true;
	p->imm = true;
}

enum srp_ti_state srp_ti_state(const struct srp_ti *ti)
{
	return ti->state;
}

uint32_t srp_ti_reject_reason(const struct srp_ti *ti)
{
	return ti->reject_reason;
}

uint32_t srp_ti_login_credits(const struct srp_ti *ti)
{
	return ti->login_credits;
}

uint8_t srp_ti_login_flags(const struct srp_ti *ti)
{
	return ti->login_flags;
}

int32_t srp_ti_credits(const struct srp_ti *ti)
{
	return ti->credits;
}

unsigned int srp_ti_inflight(const struct srp_ti *ti)
{
	return ti->inflight;
}

bool srp_ti_got_t_logout(const struct srp_ti *ti)
{
	return ti->t_logout;
}

uint8_t *srp_ti_mem(struct srp_ti *ti)
{
	return ti->mem;
}

uint32_t srp_ti_mem_rkey(const struct srp_ti *ti)
{
	return ti->mem_mr->rkey;
}

/* ---- completions ----------------------------------------------------------- */

/* Status, sense and response data of the SRP_RSP in b into c. */
static void srp_ti_decode_rsp(struct srp_ti_cmd *c, const uint8_t *b,
			      uint32_t len)
{
	const struct srp_rsp *r = (const void *)b;
	uint32_t rlen, slen;

	c->req_lim_delta = get_be32(r->req_lim_delta);
	c->status = r->status;
	c->flags = r->flags;
	c->data_out_res = get_be32(r->data_out_res_cnt);
	c->data_in_res = get_be32(r->data_in_res_cnt);
	rlen = (r->flags & SRP_RSP_FLAG_RSPVALID) ? get_be32(r->resp_data_len) :
						    0;
	slen = (r->flags & SRP_RSP_FLAG_SNSVALID) ?
		       get_be32(r->sense_data_len) :
		       0;
	if (rlen >= 4 && 36 + rlen <= len)
		c->tm_code = b[36 + 3];
	if (36 + rlen + slen > len)
		slen = len > 36 + rlen ? len - 36 - rlen : 0;
	c->sense_len = MIN(slen, sizeof(c->sense));
	memcpy(c->sense, b + 36 + rlen, c->sense_len);
}

static void srp_ti_handle_rsp(struct srp_ti *ti, const uint8_t *b, uint32_t len)
{
	const struct srp_rsp *r = (const void *)b;
	uint64_t tag = get_be64(r->tag);
	unsigned int slot = tag & 0xffff;
	struct srp_ti_cmd *c;

	ti->credits += get_be32(r->req_lim_delta);
	if (slot >= ti->p.slots || !ti->slots[slot].cmd ||
	    ti->slots[slot].cmd->tag != tag) {
		/* A raw IU's, or a stale (aborted) command's. */
		c = &ti->stray[ti->n_stray++ % ARRAY_SIZE(ti->stray)];
		memset(c, 0, sizeof(*c));
		c->tag = tag;
		srp_ti_decode_rsp(c, b, len);
		c->done = true;
		return;
	}
	c = ti->slots[slot].cmd;
	ti->slots[slot].cmd = NULL;
	ti->free_slots[ti->n_free++] = slot;
	ti->inflight--;
	srp_ti_decode_rsp(c, b, len);
	c->done = true;
	if (c->cb)
		c->cb(c);
}

bool srp_ti_stray_rsp(const struct srp_ti *ti, uint64_t tag,
		      struct srp_ti_cmd *out)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(ti->stray); i++)
		if (ti->stray[i].done && ti->stray[i].tag == tag) {
			*out = ti->stray[i];
			return true;
		}
	return false;
}

/* SRP r16a: take the credits, answer with SRP_CRED_RSP (no credit). */
static void srp_ti_cred_req(struct srp_ti *ti, const uint8_t *b)
{
	uint8_t rsp[16] = { SRP_CRED_RSP };

	ti->credits += get_be32(b + 4);
	ti->cred_reqs++;
	memcpy(rsp + 8, b + 8, 8);
	if (ti->state == SRP_TI_LOGGED_IN)
		srp_ti_send_raw(ti, rsp, sizeof(rsp));
}

unsigned int srp_ti_cred_reqs(const struct srp_ti *ti)
{
	return ti->cred_reqs;
}

unsigned int srp_ti_strays(const struct srp_ti *ti)
{
	return ti->n_stray;
}

struct fabric_qp *srp_ti_qp(struct srp_ti *ti)
{
	return ti->qp;
}

static void srp_ti_recv_done(void *ctx, uint64_t wr_id,
			     enum fabric_wc_status st, uint32_t len)
{
	struct srp_ti *ti = ctx;
	struct fabric_recv_wr *wr = &ti->rwr[wr_id];
	const uint8_t *b = (const uint8_t *)(uintptr_t)wr->sge.addr;

	if (st != FABRIC_WC_SUCCESS)
		return;
	if (len >= 36 && b[0] == SRP_RSP)
		srp_ti_handle_rsp(ti, b, len);
	else if (len >= 16 && b[0] == SRP_T_LOGOUT)
		ti->t_logout = true;
	else if (len >= 16 && b[0] == SRP_CRED_REQ)
		srp_ti_cred_req(ti, b);
	if (ti->state == SRP_TI_LOGGED_IN)
		fabric_post_recv(ti->qp, wr);
}

static void srp_ti_send_done(void *ctx, uint64_t wr_id,
			     enum fabric_wc_status st)
{
}

static void srp_ti_rdma_done(void *ctx, uint64_t wr_id,
			     enum fabric_wc_status st)
{
}

static void srp_ti_connect_done(void *ctx, int status, const void *pdata,
				unsigned int len)
{
	struct srp_ti *ti = ctx;
	const uint8_t *b = pdata;

	if (status) {
		ti->state = SRP_TI_REJECTED;
		if (len >= 8 && b[0] == SRP_LOGIN_REJ)
			ti->reject_reason = get_be32(b + 4);
		return;
	}
	if (len < 52 || b[0] != SRP_LOGIN_RSP) {
		ti->state = SRP_TI_REJECTED;
		return;
	}
	ti->login_credits = get_be32(b + 4);
	ti->max_it_iu_len = get_be32(b + 16);
	ti->login_flags = b[26];
	ti->credits = ti->login_credits;
	ti->state = SRP_TI_LOGGED_IN;
}

static void srp_ti_disconnected(void *ctx)
{
	struct srp_ti *ti = ctx;

	if (ti->state == SRP_TI_LOGGED_IN || ti->state == SRP_TI_CONNECTING)
		ti->state = SRP_TI_DISCONNECTED;
	ti->f->ops->drain(ti->qp);
}

static void srp_ti_drained(void *ctx)
{
	struct srp_ti *ti = ctx;

	ti->drained = true;
}

static const struct fabric_qp_handlers srp_ti_handlers = {
	.recv_done = srp_ti_recv_done,
	.send_done = srp_ti_send_done,
	.rdma_done = srp_ti_rdma_done,
	.connect_done = srp_ti_connect_done,
	.disconnected = srp_ti_disconnected,
	.drained = srp_ti_drained,
};

/* ---- setup ------------------------------------------------------------- */

static int srp_ti_build_login(struct srp_ti *ti, uint8_t *pd)
{
	uint8_t flags = ti->p.multi ? SRP_MULTICHAN_MULTI :
				      SRP_MULTICHAN_SINGLE;
	uint16_t fmt = SRP_BUF_FORMAT_DIRECT | SRP_BUF_FORMAT_INDIRECT;
	uint16_t imm_off = ti->p.imm ? SRP_LINUX_IMM_DATA_OFFSET : 0;

	if (ti->p.imm)
		flags |= SRP_IMMED_REQUESTED;
	if (ti->p.rdma_cm_format) {
		struct srp_login_req_rdma *r = (void *)pd;

		memset(r, 0, sizeof(*r));
		r->opcode = SRP_LOGIN_REQ;
		put_be16(r->req_buf_fmt, fmt);
		r->req_flags = flags;
		put_be32(r->req_it_iu_len, ti->p.it_iu_len);
		memcpy(r->initiator_port_id, ti->p.initiator_port_id, 16);
		memcpy(r->target_port_id, ti->p.target_port_id, 16);
		put_be16(r->imm_data_offset, imm_off);
		return sizeof(*r);
	} else {
		struct srp_login_req *r = (void *)pd;

		memset(r, 0, sizeof(*r));
		r->opcode = SRP_LOGIN_REQ;
		put_be32(r->req_it_iu_len, ti->p.it_iu_len);
		put_be16(r->req_buf_fmt, fmt);
		r->req_flags = flags;
		put_be16(r->imm_data_offset, imm_off);
		memcpy(r->initiator_port_id, ti->p.initiator_port_id, 16);
		memcpy(r->target_port_id, ti->p.target_port_id, 16);
		return sizeof(*r);
	}
}

int srp_ti_create(struct fabric *f, struct fabric_cq *cq,
		  const struct srp_ti_params *p, struct srp_ti **out)
{
	struct fabric_qp_attr attr = { 0 };
	struct srp_ti *ti;
	uint8_t pd[64];
	int ret, len;

	ti = calloc(1, sizeof(*ti));
	if (!ti)
		return -ENOMEM;
	ti->f = f;
	ti->p = *p;
	ti->state = SRP_TI_CONNECTING;
	ti->send_stride = ALIGN_UP(MAX(p->it_iu_len, 64u), 64u);
	/* Send buffers, tables, then 8 KiB for raw IUs. */
	ti->ctl_len =
		(size_t)p->slots * (ti->send_stride + TI_TABLE_MAX * 16) + 8192;
	ti->nrecv = p->slots + 8;
	ti->mem = aligned_alloc(4096, ALIGN_UP(p->mem_size, (size_t)4096));
	ti->ctl = aligned_alloc(4096, ALIGN_UP(ti->ctl_len, (size_t)4096));
	ti->rbuf = aligned_alloc(4096, (size_t)ti->nrecv * TI_RECV_LEN);
	ti->rwr = calloc(ti->nrecv, sizeof(*ti->rwr));
	ti->slots = calloc(p->slots, sizeof(*ti->slots));
	ti->free_slots = calloc(p->slots, sizeof(*ti->free_slots));
	if (!ti->mem || !ti->ctl || !ti->rbuf || !ti->rwr || !ti->slots ||
	    !ti->free_slots) {
		ret = -ENOMEM;
		goto err;
	}
	memset(ti->mem, 0, p->mem_size);
	for (unsigned int i = 0; i < p->slots; i++)
		ti->free_slots[ti->n_free++] = p->slots - 1 - i;
	ret = f->ops->mr_reg(f, ti->mem, p->mem_size,
			     FABRIC_ACCESS_LOCAL_WRITE |
				     FABRIC_ACCESS_REMOTE_READ |
				     FABRIC_ACCESS_REMOTE_WRITE,
			     &ti->mem_mr);
	if (!ret)
		ret = f->ops->mr_reg(f, ti->ctl, ti->ctl_len,
				     FABRIC_ACCESS_LOCAL_WRITE |
					     FABRIC_ACCESS_REMOTE_READ,
				     &ti->ctl_mr);
	if (!ret)
		ret = f->ops->mr_reg(f, ti->rbuf,
				     (size_t)ti->nrecv * TI_RECV_LEN,
				     FABRIC_ACCESS_LOCAL_WRITE, &ti->rbuf_mr);
	if (ret)
		goto err;
	attr.sq_depth = p->slots + 16;
	attr.rq_depth = ti->nrecv;
	attr.max_sge = 1;
	attr.max_rd_atomic = 0;
	len = srp_ti_build_login(ti, pd);
	ret = fabric_loop_connect_via(f, p->device, cq, &attr, &srp_ti_handlers,
				      ti, pd, len, p->rdma_cm_format,
				      p->responder_resources, &ti->qp);
	if (ret)
		goto err;
	for (unsigned int i = 0; i < ti->nrecv; i++) {
		struct fabric_recv_wr *wr = &ti->rwr[i];

		wr->wr_id = i;
		wr->sge.addr = (uintptr_t)ti->rbuf + (size_t)i * TI_RECV_LEN;
		wr->sge.length = TI_RECV_LEN;
		wr->sge.lkey = ti->rbuf_mr->lkey;
		fabric_post_recv(ti->qp, wr);
	}
	*out = ti;
	return 0;
err:
	srp_ti_destroy(ti);
	return ret;
}

void srp_ti_destroy(struct srp_ti *ti)
{
	if (!ti)
		return;
	if (ti->qp)
		ti->f->ops->qp_destroy(ti->qp);
	if (ti->mem_mr)
		ti->f->ops->mr_dereg(ti->mem_mr);
	if (ti->ctl_mr)
		ti->f->ops->mr_dereg(ti->ctl_mr);
	if (ti->rbuf_mr)
		ti->f->ops->mr_dereg(ti->rbuf_mr);
	free(ti->mem);
	free(ti->ctl);
	free(ti->rbuf);
	free(ti->rwr);
	free(ti->slots);
	free(ti->free_slots);
	free(ti);
}

void srp_ti_disconnect(struct srp_ti *ti)
{
	if (ti->qp)
		ti->f->ops->disconnect(ti->qp);
}

/* ---- sending ------------------------------------------------------------ */

static int srp_ti_post(struct srp_ti *ti, const uint8_t *buf, uint32_t len)
{
	struct fabric_send_wr wr = { 0 };
	struct fabric_sge sge;

	sge.addr = (uintptr_t)buf;
	sge.length = len;
	sge.lkey = ti->ctl_mr->lkey;
	wr.opcode = FABRIC_WR_SEND;
	/* Unsignalled: the loopback frees SQ slots on execution, and the
	 * response proves the send arrived. */
	wr.signaled = false;
	wr.num_sge = 1;
	wr.sg_list = &sge;
	return fabric_post_send(ti->qp, &wr);
}

static int srp_ti_take_slot(struct srp_ti *ti, struct srp_ti_cmd *c, bool tm,
			    unsigned int *slotp)
{
	unsigned int slot;

	if (ti->state != SRP_TI_LOGGED_IN)
		return -ENOTCONN;
	/* ib_srp keeps one credit for task management. */
	if (ti->p.enforce_credits && ti->credits <= (tm ? 0 : 1))
		return -EAGAIN;
	if (!ti->n_free)
		return -EAGAIN;
	slot = ti->free_slots[--ti->n_free];
	ti->slots[slot].gen++;
	ti->slots[slot].cmd = c;
	c->tag = (uint64_t)ti->slots[slot].gen << 16 | slot;
	if (tm)
		c->tag |= TI_TM_BIT;
	c->done = false;
	c->status = 0xff;
	c->flags = 0;
	c->sense_len = 0;
	c->tm_code = 0xff;
	ti->credits--;
	ti->inflight++;
	*slotp = slot;
	return 0;
}

static void srp_ti_put_desc(uint8_t *p, uint64_t va, uint32_t key, uint32_t len)
{
	put_be64(p, va);
	put_be32(p + 8, key);
	put_be32(p + 12, len);
}

int srp_ti_submit(struct srp_ti *ti, struct srp_ti_cmd *c)
{
	uint8_t *iu, *table;
	unsigned int slot, nd;
	uint32_t len = 48;
	uint64_t va;
	uint8_t fmt;
	int ret;

	if (c->mem_off > ti->p.mem_size || c->len > ti->p.mem_size - c->mem_off)
		return -EINVAL;
	nd = c->desc == SRP_TI_DIRECT ? 1 : c->ndesc;
	if (c->dir && c->desc != SRP_TI_IMM &&
	    (!nd || nd > TI_TABLE_MAX || nd > c->len))
		return -EINVAL;
	if (c->dir && c->desc == SRP_TI_IMM &&
	    (c->dir != 1 ||
	     SRP_LINUX_IMM_DATA_OFFSET + c->len > ti->p.it_iu_len))
		return -EINVAL;
	ret = srp_ti_take_slot(ti, c, false, &slot);
	if (ret)
		return ret;
	iu = ti->ctl + (size_t)slot * ti->send_stride;
	table = ti->ctl + (size_t)ti->p.slots * ti->send_stride +
		(size_t)slot * TI_TABLE_MAX * 16;
	memset(iu, 0, 48);
	iu[0] = SRP_CMD;
	put_be64(iu + 8, c->tag);
	srp_lun_encode(c->lun, iu + 20);
	memcpy(iu + 32, c->cdb, 16);
	va = (uintptr_t)ti->mem + c->mem_off;
	fmt = 0;
	switch (c->dir ? c->desc : -1) {
	case SRP_TI_DIRECT:
		fmt = SRP_DATA_DESC_DIRECT;
		srp_ti_put_desc(iu + 48, va, ti->mem_mr->rkey, c->len);
		len += 16;
		break;
	case SRP_TI_INDIRECT:
	case SRP_TI_EXTERNAL: {
		unsigned int in_iu =
			c->desc == SRP_TI_INDIRECT ? nd : c->ndesc_in_iu;
		uint32_t per = c->len / nd, off = 0;

		fmt = SRP_DATA_DESC_INDIRECT;
		for (unsigned int i = 0; i < nd; i++) {
			uint32_t l = i == nd - 1 ? c->len - off : per;

			srp_ti_put_desc(table + 16 * i, va + off,
					ti->mem_mr->rkey, l);
			off += l;
		}
		srp_ti_put_desc(iu + 48, (uintptr_t)table, ti->ctl_mr->rkey,
				16 * nd);
		put_be32(iu + 48 + 16, c->len);
		memcpy(iu + 48 + 20, table, 16 * (size_t)in_iu);
		len += 20 + 16 * in_iu;
		if (c->dir == 1)
			iu[6] = in_iu;
		else
			iu[7] = in_iu;
		break;
	}
	case SRP_TI_IMM:
		fmt = SRP_DATA_DESC_IMM;
		put_be32(iu + 48, c->len);
		memcpy(iu + SRP_LINUX_IMM_DATA_OFFSET, ti->mem + c->mem_off,
		       c->len);
		len = SRP_LINUX_IMM_DATA_OFFSET + c->len;
		break;
	default:
		break;
	}
	iu[5] = c->dir == 1 ? fmt << 4 : fmt;
	return srp_ti_post(ti, iu, len);
}

int srp_ti_tmf(struct srp_ti *ti, struct srp_ti_cmd *c, uint8_t func,
	       uint64_t lun, uint64_t task_tag)
{
	struct srp_tsk_mgmt *tm;
	unsigned int slot;
	int ret;

	ret = srp_ti_take_slot(ti, c, true, &slot);
	if (ret)
		return ret;
	tm = (void *)(ti->ctl + (size_t)slot * ti->send_stride);
	memset(tm, 0, sizeof(*tm));
	tm->opcode = SRP_TSK_MGMT;
	put_be64(tm->tag, c->tag);
	srp_lun_encode(lun, tm->lun);
	tm->tsk_mgmt_func = func;
	put_be64(tm->task_tag, task_tag);
	return srp_ti_post(ti, (uint8_t *)tm, sizeof(*tm));
}

int srp_ti_send_raw(struct srp_ti *ti, const void *iu, uint32_t len)
{
	/* Two alternating halves so two raw IUs may be in flight. */
	uint8_t *b = ti->ctl + ti->ctl_len - 8192 + (ti->raw_idx++ & 1) * 4096;

	if (len > 4096)
		return -EINVAL;
	memcpy(b, iu, len);
	return srp_ti_post(ti, b, len);
}

bool srp_ti_run_until(struct loop *loop, bool (*pred)(void *arg), void *arg,
		      int timeout_ms)
{
	uint64_t end = loop_now_ms() + timeout_ms;

	while (!pred(arg)) {
		if (loop_now_ms() > end)
			return false;
		loop_run_once(loop, 10);
	}
	return true;
}
