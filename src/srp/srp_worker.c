/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP worker: one thread's fabric CQ, SCSI execution context and data buffer
 * pool (doc/architecture.md "Threads and ownership").  The pool is allocated
 * and registered once; a command takes whole chunks from a free stack and
 * returns them when done, so nothing is allocated per command.  Commands that
 * find the pool empty wait in FIFO order (SPDK NEED_BUFFER).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include "log.h"
#include "loop.h"
#include "srp/srp_int.h"
#include "util.h"

static void srp_worker_unplug(void *arg)
{
	struct srp_worker *w = arg;

	scsi_worker_plug(w->sw, false);
}

void srp_worker_plug(struct srp_worker *w)
{
	if (w->plug_end.queued)
		return;
	scsi_worker_plug(w->sw, true);
	/* Outside a loop round this unplugs at once. */
	loop_defer(w->loop, &w->plug_end);
}

/*
 * Something waits for what requests give back when their response SEND
 * completes (send-queue slots, buffers, a TMF's victims): the fabric
 * reports those completions now instead of at its thread's next wake-up
 * (fabric.h fabric_send_wr.lazy).
 */
void srp_worker_hurry(struct srp_worker *w)
{
	if (w->fabric->ops->cq_hurry)
		w->fabric->ops->cq_hurry(w->cq);
}

/*
 * The loop's busy poller (loop_set_poller()): the CQ only.  Backend
 * completions keep coming through their event fds, which the loop looks
 * at every LOOP_BUSY_FD_EVERY polls: reaping a backend context costs a
 * read of its eventfd, a system call per poll.
 */
static int srp_worker_busy_poll(void *arg, bool arm)
{
	struct srp_worker *w = arg;

	return w->fabric->ops->cq_poll(w->cq, arm);
}

static void srp_worker_scsi_cb(void *arg, uint32_t events)
{
	struct srp_worker *w = arg;

	/* Completions answer commands and start the next I/Os. */
	srp_worker_plug(w);
	scsi_worker_poll(w->sw);
}

/*
 * Watch every event fd the SCSI worker has now (backend contexts are
 * created when a nexus is attached).  Called on the worker thread.
 */
int srp_worker_refresh_fds(struct srp_worker *w)
{
	int fds[ARRAY_SIZE(w->scsi_fds)];
	int n, ret;

	n = scsi_worker_event_fds(w->sw, fds, ARRAY_SIZE(fds));
	for (int i = 0; i < n; i++) {
		bool known = false;

		for (int k = 0; k < w->n_scsi_fds; k++)
			known |= w->scsi_fds[k] == fds[i];
		if (known)
			continue;
		ret = loop_add_fd(w->loop, fds[i], EPOLLIN, srp_worker_scsi_cb,
				  w);
		if (ret)
			return ret;
		w->scsi_fds[w->n_scsi_fds++] = fds[i];
	}
	return 0;
}

struct scsi_worker *srp_worker_scsi(struct srp_worker *w)
{
	return w->sw;
}

/*
 * Periodic: backend I/Os outstanding past params.stuck_io_ms are logged
 * by the SCSI layer and counted here (doc/scsi-commands.md "A stuck
 * backend").
 */
static void srp_worker_stuck_check(void *arg)
{
	struct srp_worker *w = arg;
	struct scsi_stuck_stats st;

	scsi_worker_check_stuck(w->sw, w->engine->p.stuck_io_ms, &st);
	srp_wstat_set(&w->stats.backend_stuck, st.now);
	srp_wstat_set(&w->stats.backend_stuck_total, st.total);
}

int srp_worker_create(struct srp_engine *e, struct fabric *f, struct loop *loop,
		      struct srp_worker **out)
{
	struct srp_worker *w;
	uint32_t i;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->engine = e;
	w->index = e->n_workers++;
	w->fabric = f;
	w->loop = loop;
	w->plug_end.fn = srp_worker_unplug;
	w->plug_end.arg = w;
	w->chunk_size = e->p.chunk_size;
	w->pool_len = (size_t)e->p.chunk_size * e->p.chunks;
	w->pool = mmap(NULL, w->pool_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->pool == MAP_FAILED) {
		ret = -errno;
		w->pool = NULL;
		goto err;
	}
	w->free_chunks = calloc(e->p.chunks, sizeof(void *));
	if (!w->free_chunks) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < e->p.chunks; i++)
		w->free_chunks[i] =
			w->pool + (size_t)(e->p.chunks - 1 - i) * w->chunk_size;
	w->n_free = e->p.chunks;
	/* RDMA READ sink (data-out): iWARP wants remote write on it. */
	ret = f->ops->mr_reg(f, w->pool, w->pool_len,
			     FABRIC_ACCESS_LOCAL_WRITE |
				     (f->caps.read_sink_remote_write ?
					      FABRIC_ACCESS_REMOTE_WRITE :
					      0),
			     &w->pool_mr);
	if (ret)
		goto err;
	/*
	 * Room for every channel's outstanding completions: one signalled
	 * WR per request plus the receives (~2 x 132 per channel) in steady
	 * state, all WRs when QPs flush.  A fixed generous size until the
	 * fabric can resize CQs as QPs join (SPDK does).
	 */
	ret = f->ops->cq_create(f, loop, 16384, &w->cq);
	if (ret)
		goto err;
	if (e->p.use_srq) {
		/* One SRQ per worker and device (SPDK: per poll group),
		 * buffers for the largest IU a login may negotiate, placed
		 * for ib_srp's immediate data offset (doc/srp-protocol.md
		 * 5). */
		struct fabric_srq_attr sa = {
			.depth = e->p.srq_size ? e->p.srq_size : 4095,
			.buf_size = e->p.login.max_req_size,
			.align_off = SRP_LINUX_IMM_DATA_OFFSET,
		};

		ret = f->ops->srq_create ?
			      f->ops->srq_create(w->cq, &sa, &w->srq) :
			      -EOPNOTSUPP;
		if (ret)
			goto err;
	}
	ret = scsi_worker_create(1024, &w->sw);
	if (ret)
		goto err;
	ret = srp_worker_refresh_fds(w);
	if (ret)
		goto err;
	if (e->p.stuck_io_ms) {
		/* A quarter period late at most; the loop's thread has not
		 * started yet, so adding its timer here is safe. */
		uint64_t every = MAX(e->p.stuck_io_ms / 4, 1u);

		ret = loop_timer_add(loop, every, every, srp_worker_stuck_check,
				     w, &w->stuck_timer);
		if (ret)
			goto err;
	}
	/* Its loop does not run yet: LUs resized before start, directly. */
	for (i = 0; i < e->n_caps; i++) {
		ret = scsi_worker_set_capacity(w->sw, e->caps[i].lu_id,
					       e->caps[i].nblocks);
		if (ret)
			goto err;
	}
	if (e->p.busy_poll_us && f->ops->cq_poll) {
		struct loop_poller lp = { srp_worker_busy_poll, w };

		/* Before the loop's thread runs, like the timer above. */
		loop_set_poller(loop, &lp, e->p.busy_poll_us);
	}
	if (!e->main_loop)
		e->main_loop = loop;
	w->next = e->workers;
	e->workers = w;
	*out = w;
	return 0;
err:
	srp_worker_destroy(w);
	return ret;
}

void srp_worker_destroy(struct srp_worker *w)
{
	struct srp_worker **pp;

	if (!w)
		return;
	if (w->n_channels)
		pr_warn("srp worker destroyed with %u channels", w->n_channels);
	for (pp = &w->engine->workers; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->engine->next_worker == w)
		w->engine->next_worker = NULL;
	if (w->stuck_timer)
		loop_timer_cancel(w->loop, w->stuck_timer);
	if (w->engine->p.busy_poll_us && w->fabric->ops->cq_poll)
		loop_set_poller(w->loop, NULL, 0);
	for (int k = 0; k < w->n_scsi_fds; k++)
		loop_del_fd(w->loop, w->scsi_fds[k]);
	loop_defer_cancel(w->loop, &w->plug_end);
	if (w->sw)
		scsi_worker_destroy(w->sw);
	if (w->srq)
		w->fabric->ops->srq_destroy(w->srq);
	if (w->cq)
		w->fabric->ops->cq_destroy(w->cq);
	if (w->pool_mr)
		w->fabric->ops->mr_dereg(w->pool_mr);
	free(w->free_chunks);
	if (w->pool)
		munmap(w->pool, w->pool_len);
	free(w);
}

/*
 * srp_worker_get_chunks() when there are waiters, req is one, or the
 * pool is short: FIFO fairness, no request overtakes an earlier waiter.
 */
int srp_worker_wait_chunks(struct srp_worker *w, struct srp_req *req,
			   uint32_t n, uint32_t len)
{
	if (n > w->n_free || (w->buf_wait_head && !req->on_wait)) {
		if (!req->on_wait) {
			srp_channel_wait(&w->buf_wait_head, &w->buf_wait_tail,
					 req);
			/* Answered requests give the chunks back. */
			srp_worker_hurry(w);
		}
		return -EAGAIN;
	}
	if (req->on_wait) {
		if (w->buf_wait_head != req)
			return -EAGAIN;
		srp_channel_unwait(&w->buf_wait_head, &w->buf_wait_tail, req);
	}
	srp_worker_take_chunks(w, req, n, len);
	return 0;
}

void srp_worker_unwait(struct srp_worker *w, struct srp_req *req)
{
	if (req->on_wait && req->state == SRP_REQ_NEED_BUFFER)
		srp_channel_unwait(&w->buf_wait_head, &w->buf_wait_tail, req);
}

/* Chunks came back (srp_worker_put_chunks()): wake waiters in order. */
void srp_worker_wake_waiters(struct srp_worker *w)
{
	while (w->buf_wait_head) {
		struct srp_req *r = w->buf_wait_head;
		uint32_t need =
			(r->buf_len + w->chunk_size - 1) / w->chunk_size;

		if (need > w->n_free)
			break;
		srp_req_process(r);
		if (w->buf_wait_head == r)
			break; /* still waiting: stop */
	}
}

/* ---- live resize --------------------------------------------------------- */

/* A new capacity on its way to one worker. */
struct srp_cap_msg {
	struct srp_worker *w;
	uint64_t lu_id;
	uint64_t nblocks;
};

/* Worker thread: serve the LU with its new capacity from now on. */
static void srp_worker_cap_msg(void *arg)
{
	struct srp_cap_msg *m = arg;

	if (scsi_worker_set_capacity(m->w->sw, m->lu_id, m->nblocks))
		pr_err("I/O worker %u: out of memory taking a new LU capacity; it keeps the old one",
		       m->w->index);
	free(m);
}

static int srp_engine_cap_set(struct srp_engine *e, uint64_t lu_id,
			      uint64_t nblocks)
{
	struct srp_cap *c;

	for (unsigned int i = 0; i < e->n_caps; i++)
		if (e->caps[i].lu_id == lu_id) {
			e->caps[i].nblocks = nblocks;
			return 0;
		}
	c = realloc(e->caps, (e->n_caps + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	e->caps = c;
	e->caps[e->n_caps++] = (struct srp_cap){ lu_id, nblocks };
	return 0;
}

/*
 * The order is what makes a live resize safe without sharing the size
 * between threads (doc/architecture.md "Live changes"):
 *  1. The unit attention CAPACITY DATA HAS CHANGED (2A/09, SBC-3 4.7,
 *     SAM-5 5.14) is queued on every nexus that sees lu, before any
 *     worker knows the new size: no worker can report the new capacity
 *     (READ CAPACITY, mode block descriptor) or complete a command past
 *     the old end while the nexus still has no unit attention queued.
 *     A command on such a nexus is answered with the unit attention
 *     first: only INQUIRY, REPORT LUNS and REQUEST SENSE run past a
 *     pending one (SAM-5 5.14, the SCSI_OPF_UA_ALLOWED opcodes).
 *  2. Each worker then gets the capacity by a message on its loop and
 *     keeps its own copy (scsi_worker_set_capacity()).  Until that
 *     message runs it checks LBAs against the size it had: a command
 *     past the old end is refused (LBA OUT OF RANGE), never served.
 * Between 1 and 2 an initiator that already took the unit attention
 * and re-reads the capacity at once may still read the old one from a
 * worker whose message is queued; the message is next on that worker's
 * loop, so the window is one loop round.  A shrink exports a prefix of
 * the backing store without truncating it (srptd/backend.h resize), so
 * a command a worker still admits below the old end stays valid I/O.
 */
int srp_engine_resize_lu(struct srp_engine *e, struct scsi_lu *lu,
			 uint64_t nblocks)
{
	uint64_t id = scsi_lu_stats_id(lu);
	int err;

	scsi_lu_capacity_changed(lu);
	err = srp_engine_cap_set(e, id, nblocks);
	if (err)
		pr_err("LU resize: out of memory; workers started later serve the old capacity");
	for (struct srp_worker *w = e->workers; w; w = w->next) {
		struct srp_cap_msg *m = malloc(sizeof(*m));

		if (m) {
			*m = (struct srp_cap_msg){ w, id, nblocks };
			if (!loop_send(w->loop, srp_worker_cap_msg, m))
				continue;
			free(m);
		}
		pr_err("LU resize: I/O worker %u not told (out of memory); it serves the old capacity",
		       w->index);
		err = -ENOMEM;
	}
	return err;
}
