/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * I/O statistics (srp_stats.h, doc/statistics.md): counting on the worker
 * when a response is posted or a command ends without one, folding on the
 * main thread when a channel, a nexus or a target goes away, and the
 * snapshot that sums everything per device, target, session and worker.
 *
 * The worker updates its counters with relaxed atomic stores of plain
 * additions (one writer: no read-modify-write instruction is needed), the
 * main thread reads them with relaxed loads: each counter is read whole,
 * the snapshot as a whole may be a few commands behind.  Folding happens
 * on the main thread after the worker's release message, so a released
 * channel is counted either live or folded, never both or neither.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "srp/srp_int.h"
#include "util.h"

#define SRP_STATS_WORDS (sizeof(struct srp_io_stats) / sizeof(uint64_t))
_Static_assert(sizeof(struct srp_io_stats) % sizeof(uint64_t) == 0,
	       "srp_io_stats is made of uint64_t counters only");

/* Writer side: the owning worker is the only writer of c. */
static inline void srp_stat_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

void srp_io_stats_add(struct srp_io_stats *dst, const struct srp_io_stats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (size_t i = 0; i < SRP_STATS_WORDS; i++)
		d[i] += s[i];
}

/* Reader side: add a block another thread is writing. */
static void srp_io_stats_add_live(struct srp_io_stats *dst,
				  const struct srp_io_stats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (size_t i = 0; i < SRP_STATS_WORDS; i++)
		d[i] += __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

const char *srp_stats_dir_name(unsigned int dir)
{
	static const char *const names[SRP_STATS_NDIR] = {
		[SRP_STATS_READ] = "read",
		[SRP_STATS_WRITE] = "write",
		[SRP_STATS_OTHER] = "other",
	};

	return dir < SRP_STATS_NDIR ? names[dir] : "?";
}

/* SPC-4 4.5.6 table 27 (0Ch is obsolete, 0Fh COMPLETED). */
const char *srp_stats_sense_key_name(unsigned int k)
{
	static const char *const names[16] = {
		"no_sense",	   "recovered_error", "not_ready",
		"medium_error",	   "hardware_error",  "illegal_request",
		"unit_attention",  "data_protect",    "blank_check",
		"vendor_specific", "copy_aborted",    "aborted_command",
		"obsolete_0c",	   "volume_overflow", "miscompare",
		"completed",
	};

	return names[k & 15];
}

uint64_t srp_stats_bucket_le_us(unsigned int b)
{
	return b + 1 < SRP_STATS_LAT_BUCKETS ? UINT64_C(1) << b : UINT64_MAX;
}

/*
 * Sense key of a CHECK CONDITION: byte 2 of fixed format sense (response
 * codes 70h/71h), byte 1 of descriptor format (72h/73h), SPC-4 4.5.
 */
static unsigned int srp_sense_key(const struct scsi_task *t)
{
	const uint8_t *s = t->sense;

	if (t->sense_len >= 2 && (s[0] & 0x7e) == 0x72)
		return s[1] & 0x0f;
	if (t->sense_len >= 3 && (s[0] & 0x7e) == 0x70)
		return s[2] & 0x0f;
	return 0;
}

_Static_assert(SRP_STATS_OTHER - SCSI_DIR_NONE == SRP_STATS_OTHER &&
		       SRP_STATS_OTHER - SCSI_DIR_WRITE == SRP_STATS_WRITE &&
		       SRP_STATS_OTHER - SCSI_DIR_READ == SRP_STATS_READ,
	       "srp_stats_responded() maps a direction by subtraction");

/* Worker: the counters of ch for logical unit lu_id, made on first use. */
static struct srp_stats_ent *srp_stats_ent(struct srp_channel *ch,
					   uint64_t lu_id)
{
	struct srp_stats_ent *e = ch->st_last, *last, *ne;

	if (e->lu_id == lu_id)
		return e;
	for (e = &ch->st_head;; e = ne) {
		if (e->lu_id == lu_id)
			goto found;
		last = e;
		ne = atomic_load_explicit(&e->next, memory_order_relaxed);
		if (!ne)
			break;
	}
	/* A cache line of its own: only this worker writes it. */
	ne = aligned_alloc(64, ALIGN_UP(sizeof(*ne), 64));
	if (!ne) {
		/* Still counted in the session, target and worker. */
		e = &ch->st_head;
		goto found;
	}
	memset(ne, 0, sizeof(*ne));
	ne->lu_id = lu_id;
	atomic_store_explicit(&last->next, ne, memory_order_release);
	e = ne;
found:
	ch->st_last = e;
	return e;
}

void srp_stats_channel_init(struct srp_channel *ch)
{
	ch->st_head.lu_id = 0;
	atomic_init(&ch->st_head.next, NULL);
	ch->st_last = &ch->st_head;
}

/*
 * Worker: the response of req was posted, data_in bytes of data-in with
 * it.  Both ends are the clock of the worker's wake-up (loop_round_ns()):
 * no clock read per command.  A command answered in the wake-up that
 * received it would count 0 that way (its stamp may even be a few ns
 * ahead, srp_channel.c srp_arrival_ns()); it alone reads the clock.
 */
void srp_stats_responded(struct srp_req *req, uint32_t data_in)
{
	struct srp_channel *ch = req->ch;
	const struct scsi_task *t = &req->task;
	struct srp_io_stats *io;
	unsigned int dir;
	uint64_t now, lat;

	if (req->opcode == SRP_TSK_MGMT) {
		io = &ch->st_head.io;
		srp_stat_add(&io->tmfs, 1);
		return;
	}
	io = &srp_stats_ent(ch, req->lu_id)->io;
	/* Arithmetic instead of two tests (asserted above). */
	dir = SRP_STATS_OTHER - t->dir;
	now = loop_round_ns(ch->w->loop);
	if (now <= req->arrived_ns)
		now = loop_now_ns();
	lat = now > req->arrived_ns ? now - req->arrived_ns : 0;
	srp_stat_add(&io->cmds[dir], 1);
	srp_stat_add(&io->lat_sum_ns[dir], lat);
	srp_stat_add(&io->lat[dir][srp_stats_bucket(lat)], 1);
	if (data_in)
		srp_stat_add(&io->bytes_read, data_in);
	if (t->dir == SCSI_DIR_WRITE && !req->early_status)
		srp_stat_add(&io->bytes_written, t->xfer_len);
	/* The common good end first: one test. */
	if (t->status == SAM_STAT_GOOD || t->status == SAM_STAT_CONDITION_MET)
		return;
	if (t->status == SAM_STAT_CHECK_CONDITION)
		srp_stat_add(&io->sense_key[srp_sense_key(t)], 1);
	else
		srp_stat_add(&io->status_errors, 1);
}

/* Worker: req ends without a response (SAM-5 7.1). */
void srp_stats_aborted(struct srp_req *req)
{
	struct srp_channel *ch = req->ch;
	struct srp_stats_ent *e = req->opcode == SRP_CMD ?
					  srp_stats_ent(ch, req->lu_id) :
					  &ch->st_head;

	srp_stat_add(&e->io.aborted, 1);
}

/* ---- main thread: folding ----------------------------------------------- */

static struct srp_stats_fold *srp_stats_fold_get(struct srp_stats_fold **list,
						 uint64_t lu_id)
{
	struct srp_stats_fold *f;

	for (f = *list; f; f = f->next)
		if (f->lu_id == lu_id)
			return f;
	f = calloc(1, sizeof(*f));
	if (!f) {
		pr_err("statistics: out of memory, counters lost");
		return NULL;
	}
	f->lu_id = lu_id;
	f->next = *list;
	*list = f;
	return f;
}

static void srp_stats_merge(struct srp_stats_fold **dst,
			    struct srp_stats_fold **src)
{
	struct srp_stats_fold *f, *d;

	while ((f = *src)) {
		*src = f->next;
		d = srp_stats_fold_get(dst, f->lu_id);
		if (d)
			srp_io_stats_add(&d->io, &f->io);
		free(f);
	}
}

void srp_stats_free_folds(struct srp_stats_fold **list)
{
	struct srp_stats_fold *f;

	while ((f = *list)) {
		*list = f->next;
		free(f);
	}
}

/*
 * Main thread, on the release message: the worker is done with ch (the
 * message ordered its last writes before this), fold its counters into
 * its session and its worker and free the extra entries.
 */
void srp_stats_fold_channel(struct srp_channel *ch)
{
	struct srp_stats_ent *e, *next;
	struct srp_stats_fold *f;

	for (e = &ch->st_head; e; e = next) {
		next = atomic_load_explicit(&e->next, memory_order_acquire);
		f = srp_stats_fold_get(&ch->nexus->st_retired, e->lu_id);
		if (f)
			srp_io_stats_add(&f->io, &e->io);
		srp_io_stats_add(&ch->w->st_retired, &e->io);
		if (e != &ch->st_head)
			free(e);
	}
	srp_stats_channel_init(ch);
	memset(&ch->st_head.io, 0, sizeof(ch->st_head.io));
}

/* Main thread: the last channel of nx went; its target keeps the sums. */
void srp_stats_fold_nexus(struct srp_nexus *nx)
{
	srp_stats_merge(&nx->target->st_retired, &nx->st_retired);
}

/* Main thread: t is freed; the engine keeps the per-device sums. */
void srp_stats_fold_target(struct srp_target *t)
{
	srp_stats_merge(&t->engine->st_retired, &t->st_retired);
}

/* ---- main thread: the snapshot ------------------------------------------ */

struct srp_stats_build {
	struct srp_stats_snapshot *s;
	unsigned int dev_cap;
	int err;
};

static struct srp_io_stats *srp_stats_dev(struct srp_stats_build *b,
					  uint64_t lu_id)
{
	struct srp_stats_snapshot *s = b->s;
	struct srp_stats_device *d;

	if (!lu_id)
		return NULL;
	for (unsigned int i = 0; i < s->n_devices; i++)
		if (s->devices[i].lu_id == lu_id)
			return &s->devices[i].io;
	if (s->n_devices == b->dev_cap) {
		unsigned int cap = b->dev_cap ? 2 * b->dev_cap : 8;

		d = realloc(s->devices, cap * sizeof(*d));
		if (!d) {
			b->err = -ENOMEM;
			return NULL;
		}
		s->devices = d;
		b->dev_cap = cap;
	}
	d = &s->devices[s->n_devices++];
	memset(d, 0, sizeof(*d));
	d->lu_id = lu_id;
	return &d->io;
}

static void srp_stats_add_folds(struct srp_stats_build *b,
				struct srp_io_stats *sum,
				const struct srp_stats_fold *f)
{
	struct srp_io_stats *dev;

	for (; f; f = f->next) {
		if (sum)
			srp_io_stats_add(sum, &f->io);
		dev = srp_stats_dev(b, f->lu_id);
		if (dev)
			srp_io_stats_add(dev, &f->io);
	}
}

static struct srp_stats_worker *srp_stats_wk(struct srp_stats_snapshot *s,
					     const struct srp_worker *w)
{
	for (unsigned int i = 0; i < s->n_workers; i++)
		if (s->workers[i].index == w->index)
			return &s->workers[i];
	return NULL;
}

static void srp_stats_add_nexus(struct srp_stats_build *b,
				const struct srp_nexus *nx,
				struct srp_stats_session *ss)
{
	struct srp_io_stats one, *dev;
	struct srp_stats_worker *sw;

	srp_stats_add_folds(b, &ss->io, nx->st_retired);
	for (const struct srp_channel *ch = nx->channels; ch;
	     ch = ch->next_in_nexus) {
		sw = srp_stats_wk(b->s, ch->w);
		ss->channels++;
		if (sw)
			sw->channels++;
		for (const struct srp_stats_ent *e = &ch->st_head; e;
		     e = atomic_load_explicit(&e->next, memory_order_acquire)) {
			memset(&one, 0, sizeof(one));
			srp_io_stats_add_live(&one, &e->io);
			srp_io_stats_add(&ss->io, &one);
			if (sw)
				srp_io_stats_add(&sw->io, &one);
			dev = srp_stats_dev(b, e->lu_id);
			if (dev)
				srp_io_stats_add(dev, &one);
		}
	}
}

static int srp_stats_wk_cmp(const void *a, const void *b)
{
	const struct srp_stats_worker *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

int srp_engine_stats_snapshot(struct srp_engine *e,
			      struct srp_stats_snapshot **out)
{
	struct srp_stats_build b = { 0 };
	struct srp_stats_snapshot *s;
	const struct srp_target *t;
	unsigned int nt = 0, nn = 0, nw = 0, pass;

	for (pass = 0; pass < 2; pass++)
		for (t = pass ? e->dying : e->targets; t; t = t->next) {
			nt++;
			for (const struct srp_nexus *nx = t->nexuses; nx;
			     nx = nx->next)
				nn++;
		}
	for (const struct srp_worker *w = e->workers; w; w = w->next)
		nw++;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	b.s = s;
	s->targets = calloc(nt ? nt : 1, sizeof(*s->targets));
	s->sessions = calloc(nn ? nn : 1, sizeof(*s->sessions));
	s->workers = calloc(nw ? nw : 1, sizeof(*s->workers));
	if (!s->targets || !s->sessions || !s->workers) {
		srp_stats_snapshot_free(s);
		return -ENOMEM;
	}
	for (const struct srp_worker *w = e->workers; w; w = w->next) {
		struct srp_stats_worker *sw = &s->workers[s->n_workers++];

		sw->index = w->index;
		sw->io = w->st_retired;
		if (w->cq && w->fabric->ops->cq_counters)
			w->fabric->ops->cq_counters(w->cq, &sw->fabric);
		loop_counters(w->loop, &sw->loop);
	}
	qsort(s->workers, s->n_workers, sizeof(*s->workers), srp_stats_wk_cmp);
	srp_stats_add_folds(&b, NULL, e->st_retired);
	for (pass = 0; pass < 2; pass++)
		for (t = pass ? e->dying : e->targets; t; t = t->next) {
			struct srp_stats_target *st =
				&s->targets[s->n_targets++];

			snprintf(st->name, sizeof(st->name), "%s", t->name);
			srp_stats_add_folds(&b, &st->io, t->st_retired);
			for (const struct srp_nexus *nx = t->nexuses; nx;
			     nx = nx->next) {
				struct srp_stats_session *ss =
					&s->sessions[s->n_sessions++];

				snprintf(ss->target, sizeof(ss->target), "%s",
					 t->name);
				snprintf(ss->initiator, sizeof(ss->initiator),
					 "%s", nx->name);
				srp_stats_add_nexus(&b, nx, ss);
				srp_io_stats_add(&st->io, &ss->io);
				st->sessions++;
			}
		}
	if (b.err) {
		srp_stats_snapshot_free(s);
		return b.err;
	}
	*out = s;
	return 0;
}

void srp_stats_snapshot_free(struct srp_stats_snapshot *s)
{
	if (!s)
		return;
	free(s->devices);
	free(s->targets);
	free(s->sessions);
	free(s->workers);
	free(s);
}

const struct srp_stats_device *
srp_stats_find_device(const struct srp_stats_snapshot *s, uint64_t lu_id)
{
	for (unsigned int i = 0; i < s->n_devices; i++)
		if (s->devices[i].lu_id == lu_id)
			return &s->devices[i];
	return NULL;
}
