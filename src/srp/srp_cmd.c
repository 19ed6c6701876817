/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP_CMD: decoding the IU, moving data, building the SRP_RSP.  The
 * steps here are called by srp_req_process() (srp_req.c, the request
 * life cycle and the only place that changes a request's state); the
 * completion events record what happened and call it again.
 *
 * Data movement (SRP r16a 5.6: the target moves all data by RDMA on the
 * descriptors of the SRP_CMD): data-out is fetched with chains of RDMA
 * READs, only the last of each batch signalled, at most the channel's
 * RDMA READ depth in flight; data-in goes out as RDMA WRITEs chained in
 * front of the SEND of the SRP_RSP, only the SEND signalled (the send
 * queue executes them in order, so the SEND completing means the data
 * went too).  Immediate data is used in place in the receive buffer.  An
 * external indirect table (more descriptors than the IU carries) is
 * fetched by one RDMA READ first (READ_TABLE).
 *
 * Errors in the IU never crash or hang: they become an SRP_RSP with CHECK
 * CONDITION and sense (ILLEGAL REQUEST, INVALID FIELD IN COMMAND
 * INFORMATION UNIT for malformed descriptors, as LIO answers them), built
 * by the SCSI layer in the LU's sense format (scsi_task_set_error()).
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "srp/srp_int.h"
#include "util.h"

/* SPC-4 sense keys and additional sense codes used here. */
#define SK_ILLEGAL_REQUEST 0x05
#define SK_ABORTED_COMMAND 0x0b
#define ASC_INVALID_FIELD_IN_CDB 0x24
#define ASC_LUN_NOT_SUPPORTED 0x25
#define ASC_INVALID_FIELD_IN_IU 0x0e /* ASCQ 0x03 */

/*
 * An error found here becomes the command's status and sense, built by
 * the SCSI layer in the format of the LU's D_SENSE (scsi_task_set_error()),
 * so that an initiator that asked for descriptor sense gets it from SRP
 * errors too.
 */
static void srp_req_fail(struct srp_req *req, uint8_t status, uint8_t key,
			 uint8_t asc, uint8_t ascq)
{
	req->early_status = true;
	scsi_task_set_error(&req->task, status, key,
			    (uint16_t)(asc << 8 | ascq));
}

/* Decode the IU and decide what moves; called once per SRP_CMD. */
void srp_req_start_cmd(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct srp_engine *e = ch->engine;
	struct scsi_task *t = &req->task;
	const struct srp_cmd_dir *dir = &req->ci.din;
	int ret;

	srp_wstat_add(&ch->w->stats.cmds, 1);
	/*
	 * itn, worker, complete and transport_priv: srp_channel_create().
	 * status, sense_len and data_in_len: scsi_task_parse() or, on every
	 * error path before it, scsi_task_set_error() (srp_req_fail());
	 * a truncated IU ends without a response and never reads them.
	 * iov, iovcnt and buf_len: srp_req_execute() (srp_req.c), the only
	 * way to scsi_task_execute().  dir and xfer_len are read by the
	 * statistics of a response failed before scsi_task_parse(): reset.
	 */
	t->dir = SCSI_DIR_NONE;
	t->xfer_len = 0;

	ret = srp_cmd_decode(req->recv->buf, req->recv->len, &ch->lim,
			     &req->ci);
	t->tag = req->ci.tag;
	/*
	 * Known before any error is reported: the sense format of an error
	 * found here is the D_SENSE of this LUN's logical unit.  The decoder
	 * fills the LUN of every IU that is not truncated.
	 */
	t->lun = req->ci.lun_err ? SCSI_LUN_INVALID : req->ci.lun;
	if (ret) {
		if (req->recv->len < 16 || ret == -SRP_IU_ETRUNC) {
			/* No tag to answer: the IU is unusable. */
			srp_wstat_add(&ch->w->stats.bad_ius, 1);
			pr_err_ratelimited("channel %u: truncated SRP_CMD (%u)",
					   ch->id, req->recv->len);
			req->aborted = true;
			srp_req_process(req);
			srp_channel_logout(ch, SRP_T_LOGOUT_INVALID_IU_LEN);
			return;
		}
		pr_debug(LOG_C_SRP, "channel %u: bad SRP_CMD tag %#llx: %s",
			 ch->id, (unsigned long long)req->ci.tag,
			 srp_iu_strerror(ret));
		srp_req_fail(req, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_IU, 0x03);
		goto run;
	}
	req->do_desc_len = req->ci.dout.total_len;
	req->di_desc_len = req->ci.din.total_len;
	if (req->no_credit) {
		srp_req_fail(req, SAM_STAT_TASK_SET_FULL, 0, 0, 0);
		goto run;
	}
	if (req->ci.lun_err) {
		srp_req_fail(req, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			     ASC_LUN_NOT_SUPPORTED, 0);
		goto run;
	}
	if (req->ci.cdb_len > SCSI_MAX_CDB_LEN) {
		srp_req_fail(req, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_CDB, 0);
		goto run;
	}
	/* 16 bytes always (a fixed-size copy), additional CDB rarely. */
	memcpy(t->cdb, req->ci.cdb, 16);
	if (req->ci.cdb_len > 16)
		memcpy(t->cdb + 16, req->ci.cdb + 16, req->ci.cdb_len - 16);
	t->cdb_len = req->ci.cdb_len;
	ret = scsi_task_parse(t);
	req->lu_id = scsi_task_lu_stats_id(t);
	if (ret > 0) {
		/* Status and sense already set by the SCSI layer. */
		req->early_status = true;
		goto run;
	}
	if (t->xfer_len > e->p.max_io_size) {
		srp_req_fail(req, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_CDB, 0);
		goto run;
	}
	if (t->dir == SCSI_DIR_WRITE) {
		dir = &req->ci.dout;
		/*
		 * Less data-out than the CDB needs is refused like LIO does
		 * ("Rejecting underflow/overflow for WRITE data CDB").
		 */
		if (!dir->ext_table && req->do_desc_len < t->xfer_len) {
			srp_req_fail(req, SAM_STAT_CHECK_CONDITION,
				     SK_ILLEGAL_REQUEST,
				     ASC_INVALID_FIELD_IN_IU, 0x03);
			goto run;
		}
		req->buf_len = t->xfer_len;
		req->xfer_total = t->xfer_len;
		if (dir->fmt == SRP_DATA_DESC_IMM) {
			req->iov[0].iov_base = req->recv->buf + dir->imm_off;
			req->iov[0].iov_len = t->xfer_len;
			req->buf_len = 0; /* no chunks needed */
			req->xfer_total = 0; /* nothing to fetch */
		}
	} else if (t->dir == SCSI_DIR_READ) {
		dir = &req->ci.din;
		req->buf_len = t->xfer_len;
	}
	/* READ_TABLE will fetch it (srp_req.c): bounded by the table room. */
	if (srp_req_needs_table(req) &&
	    dir->table_cnt > ch->engine->p.max_table_entries) {
		srp_req_fail(req, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_IU, 0x03);
		goto run;
	}
run:
	srp_req_process(req);
}

static const struct srp_cmd_dir *srp_req_dir(struct srp_req *req)
{
	return req->task.dir == SCSI_DIR_WRITE ? &req->ci.dout : &req->ci.din;
}

static void srp_req_get_desc(struct srp_req *req, const struct srp_cmd_dir *dir,
			     uint32_t i, struct srp_data_desc *d)
{
	if (dir->fmt == SRP_DATA_DESC_DIRECT) {
		*d = dir->desc; /* read by the decoder */
		return;
	}
	if (dir->ext_table) {
		const uint8_t *p = req->table + 16 * (size_t)i;

		d->va = get_be64(p);
		d->key = get_be32(p + 8);
		d->len = get_be32(p + 12);
		return;
	}
	if (srp_cmd_get_desc(req->recv->buf, dir, i, d))
		d->len = 0;
}

static uint32_t srp_dir_ndesc(const struct srp_cmd_dir *dir)
{
	return dir->ext_table ? dir->table_cnt : dir->desc_cnt;
}

/*
 * One unsignalled WR of req, the last of its chain until linked: ns
 * SGEs at sg, to or from the initiator's (va, key) (unused by a SEND).
 */
static inline void srp_wr_fill(struct fabric_send_wr *wr, struct srp_req *req,
			       enum fabric_wr_opcode op, struct fabric_sge *sg,
			       unsigned int ns, uint64_t va, uint32_t key)
{
	wr->wr_id = (uintptr_t)req;
	wr->opcode = op;
	wr->signaled = false;
	wr->lazy = false;
	wr->num_sge = ns;
	wr->sg_list = sg;
	wr->remote_addr = va;
	wr->rkey = key;
	wr->next = NULL;
}

static inline void srp_sge_fill(struct fabric_sge *sg, const void *addr,
				uint32_t len, uint32_t lkey)
{
	sg->addr = (uintptr_t)addr;
	sg->length = len;
	sg->lkey = lkey;
}

/*
 * srp_build_rdma() beyond its common case: walk the descriptors from
 * xfer_done, one WR per descriptor piece, SGEs across chunks.  Never
 * inlined: inside srp_build_rdma() its loops made the common case save
 * and restore six registers and stopped it from being inlined itself.
 */
static __attribute__((noinline)) unsigned int
srp_build_rdma_walk(struct srp_req *req, const struct srp_cmd_dir *dir,
		    enum fabric_wr_opcode op, unsigned int max, uint32_t *bytes)
{
	struct srp_worker *w = req->ch->w;
	uint32_t n_desc = srp_dir_ndesc(dir);
	uint32_t pos = req->xfer_done, end = req->xfer_total;
	uint32_t cs = w->chunk_size, lkey = w->pool_mr->lkey;
	uint32_t i, doff, acc = 0;
	unsigned int n = 0, s = 0, max_sge;
	struct srp_data_desc d = { 0 };

	max_sge = MIN(FABRIC_MAX_SGE, w->fabric->caps.max_sge);
	for (i = 0; i < n_desc; i++) {
		srp_req_get_desc(req, dir, i, &d);
		if (pos < acc + d.len)
			break;
		acc += d.len;
	}
	doff = pos - acc;
	while (pos < end && n < max && i < n_desc) {
		struct fabric_send_wr *wr = &w->wrs[n];
		struct fabric_sge *sg = &w->sges[s];
		uint32_t len = MIN(d.len - doff, end - pos), got = 0;
		unsigned int ns = 0;

		while (got < len && ns < max_sge) {
			uint32_t lpos = pos + got, c = lpos / cs;
			uint32_t coff = lpos % cs;
			uint32_t l = MIN(len - got, cs - coff);

			srp_sge_fill(&sg[ns++],
				     (uint8_t *)req->iov[c].iov_base + coff, l,
				     lkey);
			got += l;
		}
		srp_wr_fill(wr, req, op, sg, ns, d.va + doff, d.key);
		if (n)
			w->wrs[n - 1].next = wr;
		s += ns;
		n++;
		pos += got;
		doff += got;
		while (doff >= d.len && ++i < n_desc) {
			srp_req_get_desc(req, dir, i, &d);
			doff = 0;
		}
	}
	*bytes = pos - req->xfer_done;
	return n;
}

/*
 * Build at most max WRs moving bytes [xfer_done, xfer_total) between the
 * initiator's descriptors and the request's chunks into the worker's
 * scratch array.  Returns the count; *bytes the bytes they cover.
 * Inline for the common case, one direct descriptor and the whole
 * transfer in the first chunk: one WR of one SGE, without the walk
 * (doc/performance.md "Host loopback guard").
 */
static inline unsigned int srp_build_rdma(struct srp_req *req,
					  enum fabric_wr_opcode op,
					  unsigned int max, uint32_t *bytes)
{
	struct srp_worker *w = req->ch->w;
	const struct srp_cmd_dir *dir = srp_req_dir(req);
	uint32_t end = req->xfer_total;

	if (dir->fmt == SRP_DATA_DESC_DIRECT && req->xfer_done == 0 && end &&
	    max && end <= dir->desc.len && end <= w->chunk_size) {
		srp_sge_fill(&w->sges[0], req->iov[0].iov_base, end,
			     w->pool_mr->lkey);
		srp_wr_fill(&w->wrs[0], req, op, &w->sges[0], 1, dir->desc.va,
			    dir->desc.key);
		*bytes = end;
		return 1;
	}
	return srp_build_rdma_walk(req, dir, op, max, bytes);
}

/* srp_ch_kick_waiters() (srp_int.h) with a request waiting. */
void srp_ch_kick_waiting(struct srp_channel *ch)
{
	unsigned int budget;

	for (budget = ch->n_reqs; budget && ch->rd_wait_head && ch->rd_avail;
	     budget--) {
		struct srp_req *r = ch->rd_wait_head;

		srp_channel_unwait(&ch->rd_wait_head, &ch->rd_wait_tail, r);
		srp_req_process(r);
	}
	for (budget = ch->n_reqs; budget && ch->sq_wait_head && ch->sq_avail;
	     budget--) {
		struct srp_req *r = ch->sq_wait_head;

		srp_channel_unwait(&ch->sq_wait_head, &ch->sq_wait_tail, r);
		srp_req_process(r);
	}
}

static void srp_req_posted(struct srp_req *req, unsigned int rd,
			   unsigned int sq)
{
	struct srp_channel *ch = req->ch;

	ch->rd_avail -= rd;
	ch->sq_avail -= sq;
	req->rd_slots = rd;
	req->sq_slots = sq;
	req->wr_pending = true;
}

static void srp_post_failed(struct srp_req *req, int ret)
{
	pr_err_ratelimited("channel %u: post_send: %d", req->ch->id, ret);
	req->aborted = true;
	srp_channel_disconnect(req->ch);
}

/*
 * No RDMA READ slot or no send queue room: queue on the channel's READ
 * wait list (srp_ch_kick_waiters() runs it again).  True if it must wait.
 */
static bool srp_req_wait_rd(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;

	if (ch->rd_avail && ch->sq_avail)
		return false;
	if (!req->on_wait)
		srp_channel_wait(&ch->rd_wait_head, &ch->rd_wait_tail, req);
	return true;
}

/* READ_TABLE step: one RDMA READ of the external descriptor table. */
void srp_req_step_table(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct srp_worker *w = ch->w;
	const struct srp_cmd_dir *dir = srp_req_dir(req);
	struct fabric_send_wr *wr = &w->wrs[0];
	struct fabric_sge *sg = &w->sges[0];
	int ret;

	if (req->wr_pending || srp_req_wait_rd(req))
		return;
	srp_sge_fill(sg, req->table, dir->table.len, ch->mr->lkey);
	srp_wr_fill(wr, req, FABRIC_WR_RDMA_READ, sg, 1, dir->table.va,
		    dir->table.key);
	wr->signaled = true;
	ret = fabric_post_send(ch->qp, wr);
	if (ret) {
		srp_post_failed(req, ret);
		return;
	}
	srp_req_posted(req, 1, 1);
}

/*
 * srp_req_step_read() (srp_int.h) with data-out left to fetch: the next
 * batch, bounded by the READ depth.
 */
void srp_req_post_read(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct srp_worker *w = ch->w;
	unsigned int n, max;
	uint32_t bytes;
	int ret;

	if (srp_req_wait_rd(req))
		return;
	max = MIN(MIN(ch->rd_avail, ch->sq_avail), SRP_SCRATCH_WRS);
	n = srp_build_rdma(req, FABRIC_WR_RDMA_READ, max, &bytes);
	if (!n) {
		/* Descriptors shorter than announced (external table). */
		srp_req_fail(req, SAM_STAT_CHECK_CONDITION, SK_ILLEGAL_REQUEST,
			     ASC_INVALID_FIELD_IN_IU, 0x03);
		srp_req_set_state(req, SRP_REQ_RDMA_WRITE);
		return;
	}
	w->wrs[n - 1].signaled = true;
	ret = fabric_post_send(ch->qp, w->wrs);
	if (ret) {
		srp_post_failed(req, ret);
		return;
	}
	req->xfer_done += bytes;
	srp_req_posted(req, n, n);
}

/* The external table arrived: its real data length, then the data. */
static void srp_req_table_fetched(struct srp_req *req)
{
	const struct srp_cmd_dir *dir = srp_req_dir(req);
	struct srp_data_desc d;
	uint64_t sum = 0;

	for (uint32_t i = 0; i < dir->table_cnt; i++) {
		srp_req_get_desc(req, dir, i, &d);
		sum += d.len;
	}
	sum = MIN(sum, (uint64_t)dir->total_len);
	if (req->task.dir == SCSI_DIR_WRITE) {
		req->do_desc_len = sum;
		if (sum < req->task.xfer_len) {
			srp_req_fail(req, SAM_STAT_CHECK_CONDITION,
				     SK_ILLEGAL_REQUEST,
				     ASC_INVALID_FIELD_IN_IU, 0x03);
			srp_req_set_state(req, SRP_REQ_RDMA_WRITE);
			return;
		}
	} else {
		req->di_desc_len = sum;
	}
	srp_req_set_state(req, SRP_REQ_RDMA_READ);
}

/*
 * The SRP_RSP of req into its send buffer: written from the request and
 * its task by srp_rsp_put_fixed() (srp_iu.h), the sense copied after it
 * and truncated to the send buffer as srp_rsp_encode() does; a task
 * management response by srp_rsp_encode_tm().
 */
static void srp_req_build_rsp(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct scsi_task *t = &req->task;
	struct srp_residual res;
	uint32_t do_xfer = 0, di_xfer = 0, delta, slen;
	uint8_t sol_not, flags;
	int len;

	if (req->opcode == SRP_TSK_MGMT) {
		len = srp_rsp_encode_tm(req->rsp, ch->ti_iu_len, req->tmi.tag,
					srp_channel_take_credits(ch, req),
					req->tm_code);
		req->rsp_len = len > 0 ? len : 0;
		return;
	}
	if (!req->early_status) {
		if (t->dir == SCSI_DIR_WRITE)
			do_xfer = t->xfer_len;
		else if (t->dir == SCSI_DIR_READ)
			di_xfer = t->xfer_len > req->di_desc_len ?
					  t->xfer_len :
					  t->data_in_len;
	}
	srp_residual_compute(do_xfer, req->do_desc_len, di_xfer,
			     req->di_desc_len, &res);
	delta = srp_channel_take_credits(ch, req);
	if (ch->ti_iu_len < sizeof(struct srp_rsp)) {
		req->rsp_len = 0; /* no room (srp_rsp_encode(): -ENOSPC) */
		return;
	}
	if ((t->status == SAM_STAT_GOOD && (req->ci.sol_not & SRP_SCSOLNT)) ||
	    (t->status != SAM_STAT_GOOD && (req->ci.sol_not & SRP_UCSOLNT)))
		sol_not = 1;
	else
		sol_not = 0;
	slen = MIN(t->sense_len, ch->ti_iu_len - sizeof(struct srp_rsp));
	flags = res.flags;
	if (slen)
		flags |= SRP_RSP_FLAG_SNSVALID;
	srp_rsp_put_fixed(req->rsp, req->ci.tag, delta, sol_not, flags,
			  t->status, res.data_out_res_cnt, res.data_in_res_cnt,
			  slen, 0);
	if (slen)
		memcpy(req->rsp + sizeof(struct srp_rsp), t->sense, slen);
	req->rsp_len = sizeof(struct srp_rsp) + slen;
}

/* RDMA_WRITE step: data-in batches, then the SEND of the response. */
void srp_req_step_write(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct srp_worker *w = ch->w;
	struct fabric_send_wr *send;
	struct fabric_sge *sg;
	unsigned int n = 0, max;
	uint32_t bytes = 0;
	int ret;

	if (req->wr_pending)
		return;
	if (ch->sq_avail < 1 ||
	    (req->xfer_done < req->xfer_total && ch->sq_avail < 2)) {
		if (!req->on_wait) {
			srp_channel_wait(&ch->sq_wait_head, &ch->sq_wait_tail,
					 req);
			/* Answered requests give the slots back. */
			srp_worker_hurry(w);
		}
		return;
	}
	if (req->xfer_done < req->xfer_total) {
		max = MIN(ch->sq_avail - 1, SRP_SCRATCH_WRS - 1);
		n = srp_build_rdma(req, FABRIC_WR_RDMA_WRITE, max, &bytes);
		if (!n) {
			/* Cannot happen (descriptor lengths were checked
			 * against xfer_total); never index wrs[-1]. */
			req->xfer_total = req->xfer_done;
		} else if (req->xfer_done + bytes < req->xfer_total) {
			/* More batches follow: signal this one. */
			w->wrs[n - 1].signaled = true;
			ret = fabric_post_send(ch->qp, w->wrs);
			if (ret) {
				srp_post_failed(req, ret);
				return;
			}
			req->xfer_done += bytes;
			srp_req_posted(req, 0, n);
			return;
		}
	}
	srp_req_build_rsp(req);
	send = &w->wrs[n];
	sg = &w->sges[SRP_SCRATCH_WRS * FABRIC_MAX_SGE - 1];
	srp_sge_fill(sg, req->rsp, req->rsp_len, ch->mr->lkey);
	srp_wr_fill(send, req, FABRIC_WR_SEND, sg, 1, 0, 0);
	/*
	 * Its completion only retires the request (the credit went with the
	 * response): it need not wake the worker (fabric.h lazy; doc/verbs.md
	 * "Lazy send completions").
	 */
	send->signaled = true;
	send->lazy = true;
	if (n)
		w->wrs[n - 1].next = send;
	/*
	 * The response returns a credit, and a credit stands for a posted
	 * receive (SRP r16a 5.4): nothing of the IU is needed any more
	 * (descriptors are in the WRs, immediate data was consumed), so
	 * repost its buffer before the response can reach the initiator,
	 * or its next command could meet an empty receive queue (RNR).
	 */
	srp_channel_repost(ch, req->recv);
	req->recv = NULL;
	ret = fabric_post_send(ch->qp, w->wrs);
	if (ret) {
		srp_post_failed(req, ret);
		return;
	}
	req->xfer_done += bytes;
	srp_req_posted(req, 0, n + 1);
	srp_stats_responded(req, req->xfer_done);
	srp_req_set_state(req, SRP_REQ_SEND_RSP);
}

void srp_req_rdma_done(struct srp_req *req, enum fabric_wc_status st)
{
	struct srp_channel *ch = req->ch;

	if (st != FABRIC_WC_SUCCESS) {
		/* Unsignalled WRs of the batch may complete here too; the
		 * QP is in error and drained() ends the request. */
		if (st != FABRIC_WC_WR_FLUSH_ERR)
			pr_err_ratelimited("channel %u: RDMA failed: %s",
					   ch->id, fabric_wc_status_str(st));
		req->aborted = true;
		srp_channel_disconnect(ch);
		return;
	}
	req->wr_pending = false;
	ch->rd_avail += req->rd_slots;
	ch->sq_avail += req->sq_slots;
	req->rd_slots = req->sq_slots = 0;
	if (req->state == SRP_REQ_READ_TABLE)
		srp_req_table_fetched(req);
	srp_req_process(req);
	srp_ch_kick_waiters(ch);
}

void srp_req_send_done(struct srp_req *req, enum fabric_wc_status st)
{
	struct srp_channel *ch = req->ch;

	if (st != FABRIC_WC_SUCCESS) {
		if (st != FABRIC_WC_WR_FLUSH_ERR)
			pr_err_ratelimited("channel %u: send failed: %s",
					   ch->id, fabric_wc_status_str(st));
		req->aborted = true;
		srp_channel_disconnect(ch);
		return;
	}
	req->wr_pending = false;
	ch->sq_avail += req->sq_slots;
	req->sq_slots = 0;
	srp_req_sent(req);
	srp_ch_kick_waiters(ch);
}
