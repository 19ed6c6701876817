/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Logical units, workers (backend contexts, completion and resume), and
 * the LU range lock that makes COMPARE AND WRITE atomic against every
 * other write (SBC-3 5.2).  I_T nexuses, their LUN views and unit
 * attention queues are in itn.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "scsi/scsi_int.h"
#include "util.h"

/*
 * IEEE company id in derived NAA 6 designators: the OpenFabrics id LIO
 * uses too, so WWIDs look familiar (doc/scsi-commands.md "VPD pages").
 */
#define SCSI_NAA_COMPANY_ID 0x001405u

static uint64_t scsi_fnv1a(const char *s, uint64_t h)
{
	while (s && *s) {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* "6xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" (32 hex digits, NAA 6). */
static int scsi_parse_naa(const char *s, uint8_t out[SCSI_NAA_LEN])
{
	unsigned int i;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 2 * SCSI_NAA_LEN || s[0] != '6')
		return -EINVAL;
	for (i = 0; i < SCSI_NAA_LEN; i++) {
		int hi = hex_digit_value(s[2 * i]),
		    lo = hex_digit_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = hi << 4 | lo;
	}
	return 0;
}

/*
 * NAA 6 IEEE Registered Extended (SPC-4 7.8.6.6.4): NAA 6, 24-bit company
 * id, 100 vendor-specific bits taken from a hash of the unit serial, so
 * the WWID is stable as long as the serial (or device name) is.
 */
static void scsi_derive_naa(const char *serial, uint8_t out[SCSI_NAA_LEN])
{
	uint64_t h1 = scsi_fnv1a(serial, 0xcbf29ce484222325ull);
	uint64_t h2 = scsi_fnv1a(serial, h1 ^ 0x9e3779b97f4a7c15ull);

	out[0] = 0x60 | (uint8_t)((SCSI_NAA_COMPANY_ID >> 20) & 0x0f);
	out[1] = (uint8_t)(SCSI_NAA_COMPANY_ID >> 12);
	out[2] = (uint8_t)(SCSI_NAA_COMPANY_ID >> 4);
	out[3] = (uint8_t)((SCSI_NAA_COMPANY_ID & 0xf) << 4 | (h1 >> 60));
	put_be32(out + 4, h1 >> 28);
	put_be64(out + 8, h2);
}

static void scsi_copy_ascii(char *dst, size_t size, const char *src,
			    const char *dflt)
{
	size_t i, n = 0;

	if (!src || !*src)
		src = dflt;
	for (i = 0; src[i] && n + 1 < size; i++)
		if (src[i] >= 0x20 && src[i] < 0x7f)
			dst[n++] = src[i];
	dst[n] = 0;
}

/* Statistics keys (scsi_lu_stats_id()): 64 bits never wrap. */
static atomic_uint_fast64_t scsi_lu_next_stats_id = 1;

uint64_t scsi_lu_stats_id(const struct scsi_lu *lu)
{
	return lu->stats_id;
}

int scsi_lu_create(struct srptd_bdev *bdev, const struct scsi_lu_params *p,
		   struct scsi_lu **out)
{
	struct scsi_lu *lu;
	int ret;

	if (!bdev || !bdev->block_size || bdev->size % bdev->block_size)
		return -EINVAL;
	if (p && p->pr_mode == SCSI_PR_SHARED && !p->pr_shared)
		return -EINVAL;
	lu = calloc(1, sizeof(*lu));
	if (!lu)
		return -ENOMEM;
	lu->bdev = bdev;
	lu->stats_id = atomic_fetch_add(&scsi_lu_next_stats_id, 1);
	lu->nblocks = bdev->size / bdev->block_size;
	scsi_copy_ascii(lu->vendor, sizeof(lu->vendor), p ? p->vendor : NULL,
			"SRPTD");
	scsi_copy_ascii(lu->product, sizeof(lu->product), p ? p->product : NULL,
			"srptd disk");
	scsi_copy_ascii(lu->revision, sizeof(lu->revision),
			p ? p->revision : NULL, "0001");
	if (p && p->serial && *p->serial) {
		scsi_copy_ascii(lu->serial, sizeof(lu->serial), p->serial, "");
	} else {
		uint64_t h = scsi_fnv1a(bdev->name, 0xcbf29ce484222325ull);

		h = scsi_fnv1a(bdev->path, h);
		snprintf(lu->serial, sizeof(lu->serial), "%016llx",
			 (unsigned long long)h);
	}
	if (p && p->naa) {
		ret = scsi_parse_naa(p->naa, lu->naa);
		if (ret) {
			pr_err("device %s: naa \"%s\" is not 32 hex digits "
			       "starting with 6",
			       bdev->name ? bdev->name : "?", p->naa);
			free(lu);
			return ret;
		}
	} else {
		scsi_derive_naa(lu->serial, lu->naa);
	}
	scsi_copy_ascii(lu->target_name, sizeof(lu->target_name),
			p ? p->target_name : NULL, "");
	lu->max_xfer_bytes = p ? p->max_xfer_bytes : 0;
	scsi_alua_init(lu, p);
	lu->d_sense_default = p && p->descriptor_sense;
	atomic_init(&lu->d_sense, lu->d_sense_default);
	atomic_init(&lu->wce, bdev->write_cache);
	atomic_init(&lu->res_active, false);
	atomic_init(&lu->caw_seen, false);
	atomic_init(&lu->fast_writes, 0);
	atomic_init(&lu->retired_ents, 0);
	pthread_mutex_init(&lu->lock, NULL);
	scsi_list_init(&lu->nexuses);
	scsi_list_init(&lu->writes);
	scsi_list_init(&lu->caws);
	scsi_list_init(&lu->waiters);
	lu->pr.holder = -1;
	for (unsigned int i = 0; i < SCSI_NAA_LEN; i++)
		sprintf(lu->pr_key + 2 * i, "%02x", lu->naa[i]);
	lu->pr_mode = p ? p->pr_mode : SCSI_PR_LOCAL;
	atomic_init(&lu->pr_refusal_logged, false);
	/* Nothing of a refused LU's reservations is kept (scsi.h). */
	lu->pr_store = p && lu->pr_mode == SCSI_PR_LOCAL ? p->pr_store : NULL;
	lu->pr_shared = p && lu->pr_mode == SCSI_PR_SHARED ? p->pr_shared :
							     NULL;

	scsi_pr_load(lu);
	*out = lu;
	return 0;
}

void scsi_lu_destroy(struct scsi_lu *lu)
{
	if (!lu)
		return;
	if (!scsi_list_empty(&lu->nexuses) || atomic_load(&lu->retired_ents))
		pr_err("scsi: LU of device %s destroyed while nexuses see it",
		       lu->bdev->name ? lu->bdev->name : "?");
	pthread_mutex_destroy(&lu->lock);
	free(lu);
}

bool scsi_itn_same_nexus(const uint8_t *i_id, const uint8_t *t_id,
			 const struct scsi_itn *itn)
{
	return !memcmp(i_id, itn->i_id, 16) && !memcmp(t_id, itn->t_id, 16);
}

/* ---- workers ---- */

int scsi_worker_create(unsigned int depth, struct scsi_worker **out)
{
	struct scsi_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->depth = depth ? depth : 128;
	w->scratch = malloc(SCSI_SCRATCH_LEN);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->scratch || w->efd < 0) {
		int ret = w->efd < 0 ? -errno : -ENOMEM;

		if (w->efd >= 0)
			close(w->efd);
		free(w->scratch);
		free(w);
		return ret;
	}
	pthread_mutex_init(&w->rlock, NULL);
	atomic_init(&w->kicked, false);
	scsi_list_init(&w->resumed);
	scsi_list_init(&w->retry);
	scsi_list_init(&w->in_backend);
	*out = w;
	return 0;
}

void scsi_worker_destroy(struct scsi_worker *w)
{
	unsigned int i;

	if (!w)
		return;
	for (i = 0; i < w->n_eng; i++)
		w->eng[i].ops->ctx_destroy(w->eng[i].ctx);
	close(w->efd);
	pthread_mutex_destroy(&w->rlock);
	free(w->scratch);
	free(w->caps);
	free(w);
}

int scsi_worker_set_capacity(struct scsi_worker *w, uint64_t lu_id,
			     uint64_t nblocks)
{
	struct scsi_worker_cap *c;

	for (unsigned int i = 0; i < w->n_caps; i++)
		if (w->caps[i].lu_id == lu_id) {
			w->caps[i].nblocks = nblocks;
			return 0;
		}
	c = realloc(w->caps, (w->n_caps + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	w->caps = c;
	w->caps[w->n_caps++] = (struct scsi_worker_cap){ lu_id, nblocks };
	return 0;
}

int scsi_worker_ctx_create(struct scsi_worker *w,
			   const struct srptd_backend_ops *ops,
			   struct srptd_backend_ctx **ctx)
{
	int ret;

	if (w->n_eng == SCSI_WORKER_MAX_ENGINES)
		return -ENOSPC;
	ret = ops->ctx_create(w->depth, ctx);
	if (ret)
		return ret;
	w->eng[w->n_eng].ops = ops;
	w->eng[w->n_eng].ctx = *ctx;
	w->n_eng++;
	return 0;
}

int scsi_worker_attach_itn(struct scsi_worker *w, struct scsi_itn *itn)
{
	struct scsi_itn_view *v = scsi_itn_cur_view(itn);
	unsigned int i;
	int ret;

	for (i = 0; i < v->n; i++) {
		ret = scsi_worker_attach_lu(w, v->ent[i].lu);
		if (ret)
			return ret;
	}
	return 0;
}

int scsi_worker_attach_lu(struct scsi_worker *w, struct scsi_lu *lu)
{
	struct srptd_backend_ctx *ctx;

	return scsi_worker_ctx(w, lu->bdev->ops, &ctx);
}

int scsi_worker_event_fds(struct scsi_worker *w, int *fds, int max)
{
	int n = 0;
	unsigned int i;

	if (n < max)
		fds[n++] = w->efd;
	for (i = 0; i < w->n_eng && n < max; i++)
		fds[n++] = w->eng[i].ops->ctx_event_fd(w->eng[i].ctx);
	return n;
}

void scsi_worker_plug(struct scsi_worker *w, bool plugged)
{
	for (unsigned int i = 0; i < w->n_eng; i++)
		if (w->eng[i].ops->ctx_plug)
			w->eng[i].ops->ctx_plug(w->eng[i].ctx, plugged);
}

static void scsi_worker_kick(struct scsi_worker *w);

static void scsi_run_resume(struct scsi_task *t, struct scsi_cmd *c)
{
	enum scsi_sr sr = c->resume(t, c);

	if (sr != SCSI_SR_ASYNC)
		scsi_task_finish(t, sr);
}

int scsi_worker_poll(struct scsi_worker *w)
{
	struct scsi_list local;
	unsigned int i;
	uint64_t v;
	int n = 0, r;

	for (i = 0; i < w->n_eng; i++) {
		r = w->eng[i].ops->ctx_poll(w->eng[i].ctx, w->depth);
		if (r > 0)
			n += r;
	}
	/* Tasks whose range became free (possibly released elsewhere). */
	scsi_list_init(&local);
	if (atomic_exchange(&w->kicked, false)) {
		if (read(w->efd, &v, sizeof(v)) < 0)
			v = 0;
		pthread_mutex_lock(&w->rlock);
		if (!scsi_list_empty(&w->resumed)) {
			local = w->resumed;
			local.next->prev = &local;
			local.prev->next = &local;
			scsi_list_init(&w->resumed);
		}
		pthread_mutex_unlock(&w->rlock);
	}
	while (!scsi_list_empty(&local)) {
		struct scsi_cmd *c =
			container_of(local.next, struct scsi_cmd, wnode);

		scsi_list_del(&c->wnode);
		scsi_run_resume(scsi_cmd_task(c), c);
		n++;
	}
	/* Submissions that hit a full context (-EAGAIN) retry now. */
	if (!scsi_list_empty(&w->retry)) {
		local = w->retry;
		local.next->prev = &local;
		local.prev->next = &local;
		scsi_list_init(&w->retry);
		while (!scsi_list_empty(&local)) {
			struct scsi_cmd *c = container_of(
				local.next, struct scsi_cmd, wnode);
			struct scsi_task *t = scsi_cmd_task(c);
			enum scsi_sr sr;

			scsi_list_del(&c->wnode);
			sr = scsi_submit_io(t, c);
			if (sr != SCSI_SR_ASYNC)
				scsi_task_finish(t, sr);
		}
	}
	return n;
}

/* An I/O that failed, or a soft failure with a fallback (scsi_io_done()). */
static __attribute__((noinline)) void scsi_io_failed(struct scsi_task *t,
						     struct scsi_cmd *c,
						     struct srptd_io *io,
						     int res)
{
	enum scsi_sr sr;

	if (res == -EOPNOTSUPP && (c->flags & SCSI_CMD_F_SOFT_FAIL)) {
		/* The caller has a fallback (WRITE SAME -> replicate). */
		c->flags &= ~SCSI_CMD_F_SOFT_FAIL;
		c->submit_err = res;
		scsi_run_resume(t, c);
		return;
	}
	c->flags &= ~SCSI_CMD_F_SOFT_FAIL;
	if (res == -EILSEQ && io->op == SRPTD_IO_COMPARE_WRITE) {
		/* SBC-3 5.2: INFORMATION = offset of the first differing byte. */
		c->info = io->miscompare;
		c->flags |= SCSI_CMD_F_INFO;
		scsi_task_finish(t, SCSI_SR_MISCOMPARE);
		return;
	}
	/* Agreed backend errno -> sense mapping (issue 3 item 5). */
	if (res == -EIO)
		sr = io->op == SRPTD_IO_READ ? SCSI_SR_READ_ERROR :
					       SCSI_SR_WRITE_ERROR;
	else if (res == -ENOSPC)
		sr = SCSI_SR_SPACE_ALLOC_FAILED;
	else
		sr = SCSI_SR_INTERNAL_FAILURE;
	pr_err_ratelimited("device %s: %s at offset %llu length %llu "
			   "failed: %s",
			   io->bdev->name ? io->bdev->name : "?",
			   io->op == SRPTD_IO_READ    ? "read" :
			   io->op == SRPTD_IO_WRITE   ? "write" :
			   io->op == SRPTD_IO_FLUSH   ? "flush" :
			   io->op == SRPTD_IO_DISCARD ? "discard" :
			   io->op == SRPTD_IO_COMPARE_WRITE ?
							"compare and write" :
							"write zeroes",
			   (unsigned long long)io->offset,
			   (unsigned long long)io->length, strerror(-res));
	scsi_task_finish(t, sr);
}

/*
 * A backend I/O that moved everything, with nothing left to run.  No
 * resume step runs, so SCSI_CMD_F_SOFT_FAIL, which is only one's
 * (scsi_io_failed()), is left as it is: the command ends here.
 */
static inline void scsi_io_good(struct scsi_task *t, struct scsi_cmd *c,
				struct srptd_io *io)
{
	if (io->op == SRPTD_IO_READ)
		t->data_in_len = io->length;
	scsi_task_finish(t, SCSI_SR_OK);
}

/*
 * scsi_io_done() for an I/O that was stuck, trimmed the iov, failed, or
 * continues its command.  Out of line, so that the completion of every
 * other I/O saves no registers (doc/performance.md "Host loopback
 * guard").
 */
static __attribute__((noinline)) void scsi_io_done_slow(struct scsi_task *t,
							struct scsi_cmd *c,
							struct srptd_io *io,
							int res)
{
	if (c->io_age == SCSI_IO_STUCK)
		scsi_backend_untrack_stuck(t->worker, c);
	if (c->trim_iov) {
		c->trim_iov->iov_len = c->trim_saved;
		c->trim_iov = NULL;
	}
	if (res) {
		scsi_io_failed(t, c, io, res);
		return;
	}
	if (c->resume) {
		c->flags &= ~SCSI_CMD_F_SOFT_FAIL;
		scsi_run_resume(t, c);
		return;
	}
	scsi_io_good(t, c, io);
}

/* Every backend completion (scsi_submit_engine(), scsi_int.h). */
void scsi_io_done(struct srptd_io *io, int res)
{
	struct scsi_task *t = io->cb_arg;
	struct scsi_cmd *c = scsi_cmd(t);

	/*
	 * Off the worker's in_backend list (stuck.c); a stuck one is
	 * counted down in scsi_io_done_slow().
	 */
	scsi_list_unlink(&c->bnode);
	if (res || c->io_age == SCSI_IO_STUCK || c->trim_iov || c->resume) {
		scsi_io_done_slow(t, c, io, res);
		return;
	}
	scsi_io_good(t, c, io);
}

/*
 * Make the task's iov, which c->io uses, sum to io.length: the entry
 * where the I/O ends is shortened (restored on completion).  false if
 * the iov is shorter than the I/O.
 */
static __attribute__((noinline)) bool scsi_io_fit(struct scsi_task *t,
						  struct scsi_cmd *c)
{
	struct srptd_io *io = &c->io;
	uint64_t sum = 0;

	for (unsigned int i = 0; i < t->iovcnt; i++) {
		if (sum + t->iov[i].iov_len >= io->length) {
			size_t want = io->length - sum;

			io->iovcnt = i + 1;
			if (t->iov[i].iov_len != want) {
				c->trim_iov = &t->iov[i];
				c->trim_saved = t->iov[i].iov_len;
				t->iov[i].iov_len = want;
			}
			return true;
		}
		sum += t->iov[i].iov_len;
	}
	return false;
}

/*
 * The worker's context for the engine of c->io into c->ctx (created on
 * first use): 0 or -errno, logged.  Out of line, as the refusals below,
 * so that scsi_submit_io() itself stays small (doc/performance.md "Host
 * loopback guard").
 */
static __attribute__((noinline)) int scsi_submit_ctx(struct scsi_task *t,
						     struct scsi_cmd *c)
{
	struct srptd_io *io = &c->io;
	int ret = scsi_worker_ctx(t->worker, io->bdev->ops, &c->ctx);

	if (ret)
		pr_err_ratelimited("device %s: no backend context: %s",
				   io->bdev->name ? io->bdev->name : "?",
				   strerror(-ret));
	return ret;
}

/*
 * The engine refused io, a scsi_cmd's, with ret (scsi_submit_io()): the
 * command is found from io, the one value scsi_submit_io() keeps across
 * the engine's call.
 */
__attribute__((noinline)) enum scsi_sr scsi_submit_refused(struct srptd_io *io,
							   int ret)
{
	struct scsi_cmd *c = container_of(io, struct scsi_cmd, io);
	struct scsi_task *t = io->cb_arg;

	c->submit_err = ret;
	scsi_list_unlink(&c->bnode); /* not in the backend after all */
	if (c->trim_iov) {
		c->trim_iov->iov_len = c->trim_saved;
		c->trim_iov = NULL;
	}
	if (ret == -EAGAIN || ret == -ENOMEM) {
		/*
		 * Backpressure: park and retry from the next poll.  The
		 * worker's own eventfd is kicked so that a next poll comes
		 * even if the engine had nothing in flight to complete.
		 */
		scsi_list_add_tail(&t->worker->retry, &c->wnode);
		scsi_worker_kick(t->worker);
		return SCSI_SR_ASYNC;
	}
	return ret == -ENOSPC ? SCSI_SR_SPACE_ALLOC_FAILED :
				SCSI_SR_INTERNAL_FAILURE;
}

/*
 * scsi_submit_io() for an I/O whose context is not the worker's first
 * (or not created yet) or whose iov is not exactly one entry of its
 * length: every step, out of line, so that scsi_submit_io() keeps nothing
 * across a call but the engine's.
 */
__attribute__((noinline)) enum scsi_sr scsi_submit_io_slow(struct scsi_task *t,
							   struct scsi_cmd *c)
{
	struct srptd_io *io = &c->io;

	if (!c->ctx && scsi_submit_ctx(t, c))
		return SCSI_SR_INTERNAL_FAILURE;
	if (io->iov == t->iov && io->iovcnt && !c->trim_iov &&
	    !scsi_io_fit(t, c))
		return SCSI_SR_DATA_PHASE_ERROR;
	return scsi_submit_engine(t, c);
}

/* ---- range lock (COMPARE AND WRITE vs. writes, SBC-3 5.2) ---- */

static bool scsi_range_overlap(const struct scsi_range *a,
			       const struct scsi_range *b)
{
	return a->lba < b->lba + b->n && b->lba < a->lba + a->n;
}

/* lu->lock held. */
static bool scsi_range_blocked(struct scsi_lu *lu, struct scsi_range *r)
{
	struct scsi_list *n;

	/* Every write waits for overlapping CAWs queued before it. */
	for (n = lu->caws.next; n != &lu->caws; n = n->next) {
		struct scsi_range *o = container_of(n, struct scsi_range, node);

		if (o == r)
			break;
		if (scsi_range_overlap(o, r))
			return true;
	}
	if (!r->caw)
		return false;
	/* Writes that took the lock-free path have no range: wait for all. */
	if (atomic_load(&lu->fast_writes))
		return true;
	/* A CAW also waits for overlapping writes already in flight. */
	for (n = lu->writes.next; n != &lu->writes; n = n->next) {
		struct scsi_range *o = container_of(n, struct scsi_range, node);

		if (scsi_range_overlap(o, r))
			return true;
	}
	return false;
}

static void scsi_range_wake_locked(struct scsi_lu *lu);

/* A lock-free write is done; the last one lets waiting CAWs go. */
static void scsi_fast_write_done(struct scsi_lu *lu)
{
	if (atomic_fetch_sub(&lu->fast_writes, 1) == 1 &&
	    atomic_load(&lu->caw_seen)) {
		pthread_mutex_lock(&lu->lock);
		scsi_range_wake_locked(lu);
		pthread_mutex_unlock(&lu->lock);
	}
}

bool scsi_range_acquire(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_lu *lu = c->lu;
	struct scsi_range *r = &c->range;
	bool caw = c->op->exec == sbc_caw;
	bool ok;

	if (!caw && !r->linked && !r->waiting &&
	    !atomic_load_explicit(&lu->caw_seen, memory_order_relaxed)) {
		atomic_fetch_add(&lu->fast_writes, 1);
		if (!atomic_load(&lu->caw_seen)) {
			c->flags |= SCSI_CMD_F_RANGE | SCSI_CMD_F_FAST_WRITE;
			return true;
		}
		scsi_fast_write_done(lu);
	}
	if (caw && !atomic_load_explicit(&lu->caw_seen, memory_order_relaxed))
		atomic_store(&lu->caw_seen, true);
	pthread_mutex_lock(&lu->lock);
	if (!r->linked) {
		r->lba = c->lba;
		r->n = c->nblocks ? c->nblocks : 1;
		r->caw = caw;
		/* A CAW takes its place in line now, so writes queue behind. */
		scsi_list_add_tail(r->caw ? &lu->caws : &lu->writes, &r->node);
		r->linked = true;
		c->flags |= SCSI_CMD_F_RANGE;
	}
	ok = !scsi_range_blocked(lu, r);
	r->active = ok;
	if (!ok && !r->waiting) {
		r->waiting = true;
		scsi_list_add_tail(&lu->waiters, &r->wnode);
	}
	if (!ok && !r->caw) {
		/* Writes that wait are not yet in flight for CAWs to see. */
		scsi_list_del(&r->node);
		r->linked = false;
		c->flags &= ~SCSI_CMD_F_RANGE;
	}
	pthread_mutex_unlock(&lu->lock);
	return ok;
}

/* Make the worker's eventfd readable so that it polls again. */
static void scsi_worker_kick(struct scsi_worker *w)
{
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0)
		pr_err_ratelimited("scsi: eventfd write: %s", strerror(errno));
	/* After the write: a poll that sees the flag also drains efd. */
	atomic_store(&w->kicked, true);
}

/* Hand every waiter back to its worker to retry (lu->lock held). */
static void scsi_range_wake_locked(struct scsi_lu *lu)
{
	while (!scsi_list_empty(&lu->waiters)) {
		struct scsi_range *r = container_of(lu->waiters.next,
						    struct scsi_range, wnode);
		struct scsi_cmd *c = container_of(r, struct scsi_cmd, range);
		struct scsi_worker *w = scsi_cmd_task(c)->worker;

		scsi_list_del(&r->wnode);
		r->waiting = false;
		pthread_mutex_lock(&w->rlock);
		scsi_list_add_tail(&w->resumed, &c->wnode);
		pthread_mutex_unlock(&w->rlock);
		scsi_worker_kick(w);
	}
}

void scsi_range_release(struct scsi_task *t, struct scsi_cmd *c)
{
	struct scsi_lu *lu = c->lu;
	struct scsi_range *r = &c->range;

	if (c->flags & SCSI_CMD_F_FAST_WRITE) {
		c->flags &= ~(SCSI_CMD_F_FAST_WRITE | SCSI_CMD_F_RANGE);
		scsi_fast_write_done(lu);
		return;
	}
	pthread_mutex_lock(&lu->lock);
	if (r->waiting) {
		scsi_list_del(&r->wnode);
		r->waiting = false;
	}
	if (r->linked) {
		scsi_list_del(&r->node);
		r->linked = false;
	}
	c->flags &= ~SCSI_CMD_F_RANGE;
	scsi_range_wake_locked(lu);
	pthread_mutex_unlock(&lu->lock);
}
