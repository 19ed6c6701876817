/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The request life cycle (src/srp/srp_req.c), table driven:
 *  - every (from, to) pair of states: the allowed transitions (an
 *    expected table written out here, independently of the code's) move
 *    the request, every other one is refused and leaves it where it was;
 *  - abort (task management) arriving in every state, with and without a
 *    work request outstanding and queued on a wait list: the request ends
 *    at once without a response, or, when the fabric, SCSI or a TMF's
 *    victims hold it, when they let go;
 *  - channel disconnect arriving in every state, then the drain.
 * A request of a channel whose fabric only records what is posted: no
 * step of an aborted request posts a work request (what is checked); the
 * channel itself posts an SRP_CRED_REQ for the aborted request's credit
 * when nothing else would carry it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srp/srp_int.h"
#include "util.h"

/* Short names for the table, each the state's value. */
#define F SRP_REQ_FREE
#define N SRP_REQ_NEW
#define NB SRP_REQ_NEED_BUFFER
#define RT SRP_REQ_READ_TABLE
#define RR SRP_REQ_RDMA_READ
#define RE SRP_REQ_READY_TO_EXECUTE
#define EX SRP_REQ_EXECUTING
#define TW SRP_REQ_TMF_WAIT
#define RW SRP_REQ_RDMA_WRITE
#define SR SRP_REQ_SEND_RSP
#define D SRP_REQ_DONE
#define NS SRP_REQ_N_STATES

/* expected[from][to]: 1 = allowed. */
static const uint8_t expected[NS][NS] = {
	/*        F  N  NB RT RR RE EX TW RW SR D */
	[F] = { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	[N] = { 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1 },
	[NB] = { 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1 },
	[RT] = { 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1 },
	[RR] = { 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1 },
	[RE] = { 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1 },
	[EX] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 },
	[TW] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 },
	[RW] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 },
	[SR] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	[D] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

/* The columns above are in enum order: a new state needs a new column. */
_Static_assert(SRP_REQ_DONE == 10 && SRP_REQ_N_STATES == 11,
	       "the expected table lists every state");

/* One channel (LIVE) on one worker, holding one request. */
struct fx {
	struct srp_engine e;
	struct srp_worker w;
	struct srp_channel ch;
	struct srp_req r;
	struct fabric f;
	struct fabric_qp qp;
	struct fabric_mr mr;
	uint8_t cred_buf[64];
	unsigned int posted; /* send WRs posted */
	uint8_t posted_iu[16]; /* the last SEND's first bytes */
};

/* The fabric: records each posted SEND, completes nothing. */
static int fx_post_send(struct fabric_qp *qp, struct fabric_send_wr *wr,
			struct fabric_send_wr **bad)
{
	struct fx *x = container_of(qp, struct fx, qp);

	for (; wr; wr = wr->next) {
		x->posted++;
		if (wr->opcode == FABRIC_WR_SEND && wr->num_sge == 1)
			memcpy(x->posted_iu,
			       (const void *)(uintptr_t)wr->sg_list->addr,
			       MIN(wr->sg_list->length, 16u));
	}
	return 0;
}

static const struct fabric_ops fx_ops = {
	.name = "record",
	.post_send = fx_post_send,
};

static struct fx *fx_new(enum srp_req_state s, uint8_t opcode)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->w.engine = &x->e;
	x->ch.engine = &x->e;
	x->ch.w = &x->w;
	srp_stats_channel_init(&x->ch); /* as srp_channel_create() */
	x->ch.state = SRP_CH_LIVE;
	x->ch.n_reqs = 1;
	x->ch.req_lim = 1;
	x->ch.outstanding = 1; /* the request's credit */
	x->ch.rd_depth = x->ch.rd_avail = 4;
	x->ch.sq_depth = x->ch.sq_avail = 8;
	x->ch.active = &x->r;
	x->ch.n_active = 1;
	x->r.ch = &x->ch;
	x->r.opcode = opcode;
	x->r.state = s; /* placed, as if it had got there */
	x->r.task.transport_priv = &x->r;
	x->f.ops = &fx_ops;
	x->qp.fabric = &x->f;
	x->ch.qp = &x->qp;
	x->ch.mr = &x->mr;
	x->ch.cred_buf = x->cred_buf;
	return x;
}

/* Ended: back in the pool, without a response. */
static void assert_ended(struct fx *x)
{
	assert_int_equal(x->r.state, SRP_REQ_FREE);
	assert_ptr_equal(x->ch.free_reqs, &x->r);
	assert_null(x->ch.active);
	assert_int_equal(x->ch.n_active, 0);
	assert_int_equal(x->w.stats.aborted, 1);
	assert_false(x->r.on_wait);
	assert_null(x->w.buf_wait_head);
	assert_null(x->ch.rd_wait_head);
	assert_null(x->ch.sq_wait_head);
}

static void test_transition_table(void **state)
{
	struct fx *x = fx_new(SRP_REQ_FREE, SRP_CMD);

	for (enum srp_req_state from = 0; from < NS; from++) {
		for (enum srp_req_state to = 0; to < NS; to++) {
			bool ok = expected[from][to];

			assert_int_equal(srp_req_transition_allowed(from, to),
					 ok);
			x->r.state = from;
			assert_int_equal(srp_req_set_state(&x->r, to), ok);
			assert_int_equal(x->r.state, ok ? to : from);
		}
		assert_false(srp_req_transition_allowed(from, NS));
		assert_false(srp_req_transition_allowed(NS, from));
		assert_string_not_equal(srp_req_state_name(from), "?");
	}
	free(x);
}

/* Entering RDMA_WRITE sets up the data-in to send, once. */
static void test_rdma_write_entry(void **state)
{
	struct fx *x = fx_new(SRP_REQ_EXECUTING, SRP_CMD);

	x->r.task.dir = SCSI_DIR_READ;
	x->r.task.data_in_len = 4096;
	x->r.di_desc_len = 1024; /* descriptors shorter: capped */
	x->r.xfer_done = 77;
	assert_true(srp_req_set_state(&x->r, SRP_REQ_RDMA_WRITE));
	assert_int_equal(x->r.xfer_done, 0);
	assert_int_equal(x->r.xfer_total, 1024);
	/* An early status sends no data. */
	x->r.state = SRP_REQ_NEW;
	x->r.early_status = true;
	assert_true(srp_req_set_state(&x->r, SRP_REQ_RDMA_WRITE));
	assert_int_equal(x->r.xfer_total, 0);
	free(x);
}

/*
 * How a request in state s is set up for the abort tests: which wait
 * list it is on (if queued), whether a WR is outstanding.
 */
struct situation {
	enum srp_req_state s;
	uint8_t opcode;
	bool wr_pending;
	bool queued;
};

static const struct situation situations[] = {
	{ SRP_REQ_FREE, SRP_CMD, false, false },
	{ SRP_REQ_NEW, SRP_CMD, false, false },
	{ SRP_REQ_NEW, SRP_TSK_MGMT, false, false },
	{ SRP_REQ_NEED_BUFFER, SRP_CMD, false, false },
	{ SRP_REQ_NEED_BUFFER, SRP_CMD, false, true },
	{ SRP_REQ_READ_TABLE, SRP_CMD, false, false },
	{ SRP_REQ_READ_TABLE, SRP_CMD, false, true },
	{ SRP_REQ_READ_TABLE, SRP_CMD, true, false },
	{ SRP_REQ_RDMA_READ, SRP_CMD, false, false },
	{ SRP_REQ_RDMA_READ, SRP_CMD, false, true },
	{ SRP_REQ_RDMA_READ, SRP_CMD, true, false },
	{ SRP_REQ_READY_TO_EXECUTE, SRP_CMD, false, false },
	{ SRP_REQ_EXECUTING, SRP_CMD, false, false },
	{ SRP_REQ_TMF_WAIT, SRP_TSK_MGMT, false, false },
	{ SRP_REQ_RDMA_WRITE, SRP_CMD, false, false },
	{ SRP_REQ_RDMA_WRITE, SRP_CMD, false, true },
	{ SRP_REQ_RDMA_WRITE, SRP_CMD, true, false },
	{ SRP_REQ_RDMA_WRITE, SRP_TSK_MGMT, true, false },
	{ SRP_REQ_SEND_RSP, SRP_CMD, true, false },
	{ SRP_REQ_SEND_RSP, SRP_TSK_MGMT, true, false },
	/* SEND_RSP after a drain cleared wr_pending (no completion). */
	{ SRP_REQ_SEND_RSP, SRP_CMD, false, false },
	{ SRP_REQ_DONE, SRP_CMD, false, false },
};

/* The TMF the TMF_WAIT request waits for, one victim. */
static struct srp_req victim;

static struct fx *fx_situation(const struct situation *si)
{
	struct fx *x = fx_new(si->s, si->opcode);
	struct srp_req *r = &x->r;
	struct srp_channel *ch = &x->ch;

	if (si->s == SRP_REQ_FREE) {
		ch->active = NULL;
		ch->n_active = 0;
		ch->outstanding = 0;
	}
	r->wr_pending = si->wr_pending;
	if (si->wr_pending) {
		r->sq_slots = 1;
		ch->sq_avail--;
		if (si->s == SRP_REQ_READ_TABLE || si->s == SRP_REQ_RDMA_READ) {
			r->rd_slots = 1;
			ch->rd_avail--;
		}
	}
	if (si->queued) {
		if (si->s == SRP_REQ_NEED_BUFFER)
			srp_channel_wait(&x->w.buf_wait_head,
					 &x->w.buf_wait_tail, r);
		else if (si->s == SRP_REQ_RDMA_WRITE)
			srp_channel_wait(&ch->sq_wait_head, &ch->sq_wait_tail,
					 r);
		else
			srp_channel_wait(&ch->rd_wait_head, &ch->rd_wait_tail,
					 r);
	}
	if (si->s == SRP_REQ_READ_TABLE || si->s == SRP_REQ_RDMA_READ)
		r->task.dir = SCSI_DIR_WRITE; /* fetching data-out */
	if (si->s == SRP_REQ_TMF_WAIT) {
		memset(&victim, 0, sizeof(victim));
		victim.tmf = r;
		r->tmf_victims = 1;
	}
	return x;
}

/* Does something other than the abort itself hold the request? */
static bool held(const struct situation *si)
{
	return si->wr_pending || si->s == SRP_REQ_EXECUTING ||
	       si->s == SRP_REQ_TMF_WAIT;
}

/* The holder lets go: the completion of the WR, SCSI, the victims. */
static void release_holder(struct fx *x, const struct situation *si)
{
	if (si->s == SRP_REQ_EXECUTING)
		srp_req_task_done(&x->r.task);
	else if (si->s == SRP_REQ_TMF_WAIT)
		srp_tmf_victim_done(&victim);
	else if (si->s == SRP_REQ_SEND_RSP)
		srp_req_send_done(&x->r, FABRIC_WC_SUCCESS);
	else
		srp_req_rdma_done(&x->r, FABRIC_WC_SUCCESS);
}

static void test_abort_in_every_state(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(situations); i++) {
		const struct situation *si = &situations[i];
		struct fx *x = fx_situation(si);

		print_message("abort in %s (%s%s%s)\n",
			      srp_req_state_name(si->s),
			      si->opcode == SRP_CMD ? "cmd" : "tmf",
			      si->wr_pending ? ", WR outstanding" : "",
			      si->queued ? ", queued" : "");
		srp_req_kill(&x->r);
		if (si->s == SRP_REQ_FREE) {
			/* Not in use: nothing to abort, nothing moves. */
			assert_int_equal(x->r.state, SRP_REQ_FREE);
			assert_int_equal(x->w.stats.aborted, 0);
			free(x);
			continue;
		}
		assert_true(x->r.aborted);
		if (held(si)) {
			assert_int_equal(x->r.state, si->s);
			assert_int_equal(x->ch.n_active, 1);
			release_holder(x, si);
		}
		assert_ended(x);
		/*
		 * Its credit goes back at once in an SRP_CRED_REQ (nothing
		 * else of the channel will answer), the only WR posted; every
		 * other slot came back.
		 */
		assert_int_equal(x->ch.withheld, 0);
		assert_int_equal(x->ch.outstanding, 0);
		assert_int_equal(x->posted, 1);
		assert_int_equal(x->posted_iu[0], SRP_CRED_REQ);
		assert_int_equal(get_be32(x->posted_iu + 4), 1);
		assert_true(x->ch.cred_pending);
		assert_int_equal(x->ch.sq_avail, x->ch.sq_depth - 1);
		assert_int_equal(x->ch.rd_avail, x->ch.rd_depth);
		free(x);
	}
}

/*
 * Disconnect: srp_channel_disconnect() marks every request aborted and
 * moves none; the drain then ends every request no SCSI completion or
 * TMF victim holds, outstanding WRs included (they were flushed), as
 * srp_ch_drained() does, and the others end when let go.  A dying
 * channel withholds no credits (nothing more is answered).
 */
static void test_disconnect_in_every_state(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(situations); i++) {
		const struct situation *si = &situations[i];
		struct fx *x = fx_situation(si);

		if (si->s == SRP_REQ_FREE) {
			free(x);
			continue;
		}
		print_message("disconnect in %s\n", srp_req_state_name(si->s));
		x->ch.ctl_pending = true; /* T_LOGOUT in flight: no fabric */
		srp_channel_disconnect(&x->ch);
		assert_int_equal(x->ch.state, SRP_CH_DISCONNECTING);
		assert_true(x->r.aborted);
		assert_int_equal(x->r.state, si->s);
		/* A flushed completion moves nothing either. */
		if (si->wr_pending) {
			if (si->s == SRP_REQ_SEND_RSP)
				srp_req_send_done(&x->r,
						  FABRIC_WC_WR_FLUSH_ERR);
			else
				srp_req_rdma_done(&x->r,
						  FABRIC_WC_WR_FLUSH_ERR);
			assert_int_equal(x->r.state, si->s);
		}
		/* The drain. */
		if (si->s != SRP_REQ_EXECUTING && si->s != SRP_REQ_TMF_WAIT) {
			x->r.wr_pending = false;
			srp_req_kill(&x->r);
		} else {
			assert_int_equal(x->r.state, si->s);
			release_holder(x, si);
		}
		assert_ended(x);
		assert_int_equal(x->ch.withheld, 0);
		assert_int_equal(x->posted, 0);
		free(x);
	}
}

/* A request that is not aborted is never ended by the abort step. */
static void test_no_abort_no_end(void **state)
{
	struct fx *x = fx_new(SRP_REQ_SEND_RSP, SRP_CMD);

	x->r.wr_pending = true;
	x->r.sq_slots = 1;
	x->ch.sq_avail--;
	srp_req_process(&x->r);
	assert_int_equal(x->r.state, SRP_REQ_SEND_RSP);
	srp_req_send_done(&x->r, FABRIC_WC_SUCCESS);
	assert_int_equal(x->r.state, SRP_REQ_FREE);
	assert_int_equal(x->w.stats.aborted, 0);
	assert_int_equal(x->ch.withheld, 0);
	free(x);
}

/* FREE -> NEW: a request from the pool starts clean, then goes back. */
static void test_pool(void **state)
{
	struct fx *x = fx_new(SRP_REQ_FREE, SRP_CMD);
	struct srp_recv rv = { 0 };
	struct srp_req *r;

	x->ch.active = NULL;
	x->ch.n_active = 0;
	x->ch.free_reqs = &x->r;
	/* Left over from its previous life. */
	x->r.aborted = x->r.wr_pending = x->r.no_credit = true;
	x->r.on_wait = x->r.early_status = x->r.in_process = true;
	x->r.xfer_done = x->r.xfer_total = 99;
	r = srp_req_alloc(&x->ch, &rv);
	assert_ptr_equal(r, &x->r);
	assert_int_equal(r->state, SRP_REQ_NEW);
	assert_false(r->aborted || r->wr_pending || r->no_credit ||
		     r->on_wait || r->early_status || r->in_process);
	assert_int_equal(r->xfer_done + r->xfer_total, 0);
	assert_ptr_equal(x->ch.active, r);
	assert_int_equal(x->ch.n_active, 1);
	assert_null(srp_req_alloc(&x->ch, &rv)); /* pool empty */
	/* Answered: back to the pool, its receive reposted (none here). */
	r->recv = NULL;
	assert_true(srp_req_set_state(r, SRP_REQ_RDMA_WRITE));
	assert_true(srp_req_set_state(r, SRP_REQ_SEND_RSP));
	r->wr_pending = true;
	r->sq_slots = 1;
	x->ch.sq_avail--;
	srp_req_send_done(r, FABRIC_WC_SUCCESS);
	assert_int_equal(r->state, SRP_REQ_FREE);
	assert_ptr_equal(x->ch.free_reqs, r);
	assert_int_equal(x->ch.n_active, 0);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_rdma_write_entry),
		cmocka_unit_test(test_abort_in_every_state),
		cmocka_unit_test(test_disconnect_in_every_state),
		cmocka_unit_test(test_no_abort_no_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
