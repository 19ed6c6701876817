/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A target's LUN maps (default map, initiator groups, policy for unknown
 * initiators) and changing them live (doc/architecture.md "Live
 * changes"): every nexus of the target gets the view its initiator is
 * entitled to under the new maps; a nexus whose view changes keeps
 * running and sees REPORTED LUNS DATA HAS CHANGED, the others are not
 * touched.  Main thread, like every target and nexus.
 *
 * Grace period: the replaced views may still be read by the workers
 * executing the nexuses' commands (src/scsi/itn.c).  A message goes to
 * every worker and comes back; a worker handles messages between
 * callbacks, so once it answered it holds no unpinned pointer to a view
 * replaced before, and when every worker has answered the views' base
 * references are dropped.  The same message attaches the worker to the
 * backends of newly mapped LUs (scsi_worker_attach_lu()) so that their
 * completions are watched before a command needs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "srp/srp_int.h"
#include "util.h"

static int srp_view_copy(struct srp_lun_view *v,
			 const struct scsi_lun_entry *luns, unsigned int n)
{
	struct scsi_lun_entry *c = NULL;

	if (n) {
		c = calloc(n, sizeof(*c));
		if (!c)
			return -ENOMEM;
		memcpy(c, luns, n * sizeof(*c));
	}
	free(v->luns);
	v->luns = c;
	v->n = n;
	return 0;
}

void srp_maps_clear(struct srp_maps *m)
{
	struct srp_group *g;

	while ((g = m->groups)) {
		m->groups = g->next;
		free(g->initiators);
		free(g->view.luns);
		free(g);
	}
	free(m->view.luns);
	m->view.luns = NULL;
	m->view.n = 0;
}

int srp_maps_create(bool unknown_default_map, struct srp_maps **out)
{
	struct srp_maps *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->unknown_default_map = unknown_default_map;
	*out = m;
	return 0;
}

void srp_maps_free(struct srp_maps *m)
{
	if (!m)
		return;
	srp_maps_clear(m);
	free(m);
}

int srp_maps_set_luns(struct srp_maps *m, const struct scsi_lun_entry *view,
		      unsigned int n)
{
	return srp_view_copy(&m->view, view, n);
}

int srp_maps_add_group(struct srp_maps *m, const char *name,
		       const uint8_t (*initiators)[16], unsigned int n_ini,
		       const struct scsi_lun_entry *view, unsigned int n)
{
	struct srp_group *g;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	snprintf(g->name, sizeof(g->name), "%s", name);
	if (n_ini) {
		g->initiators = calloc(n_ini, 16);
		if (!g->initiators)
			goto err;
		memcpy(g->initiators, initiators, (size_t)n_ini * 16);
	}
	g->n_ini = n_ini;
	if (srp_view_copy(&g->view, view, n))
		goto err;
	g->next = m->groups;
	m->groups = g;
	return 0;
err:
	free(g->initiators);
	free(g);
	return -ENOMEM;
}

int srp_target_set_luns(struct srp_target *t, const struct scsi_lun_entry *view,
			unsigned int n)
{
	return srp_maps_set_luns(&t->maps, view, n);
}

int srp_target_add_group(struct srp_target *t, const char *name,
			 const uint8_t (*initiators)[16], unsigned int n_ini,
			 const struct scsi_lun_entry *view, unsigned int n)
{
	return srp_maps_add_group(&t->maps, name, initiators, n_ini, view, n);
}

const struct srp_lun_view *srp_maps_view(const struct srp_maps *m,
					 const struct srp_initiator_id *id)
{
	for (const struct srp_group *g = m->groups; g; g = g->next)
		for (unsigned int i = 0; i < g->n_ini; i++) {
			if (!memcmp(g->initiators[i], id->port_id, 16))
				return &g->view;
			if (id->gid_valid &&
			    !memcmp(g->initiators[i], id->gid, 16))
				return &g->view;
		}
	return m->unknown_default_map ? &m->view : NULL;
}

/* Is (lun, lu) in view? */
static bool srp_view_has(const struct srp_lun_view *v, uint64_t lun,
			 const struct scsi_lu *lu)
{
	for (unsigned int i = 0; i < v->n; i++)
		if (v->luns[i].lun == lun && v->luns[i].lu == lu)
			return true;
	return false;
}

/*
 * For each LUN nexus nx sees now under the old maps (old) that the new
 * view (NULL: access lost) drops or gives another LU: fn(nx, lun).
 */
static void
srp_nexus_leaving(struct srp_nexus *nx, const struct srp_lun_view *old,
		  const struct srp_lun_view *nv,
		  void (*fn)(struct srp_nexus *nx, uint64_t lun, void *arg),
		  void *arg)
{
	for (unsigned int i = 0; old && i < old->n; i++)
		if (!nv || !srp_view_has(nv, old->luns[i].lun, old->luns[i].lu))
			fn(nx, old->luns[i].lun, arg);
}

static void srp_count_busy(struct srp_nexus *nx, uint64_t lun, void *arg)
{
	struct srp_maps_effect *eff = arg;
	unsigned int n = scsi_itn_lun_inflight(nx->itn, lun);

	if (n) {
		eff->busy_cmds += n;
		eff->busy_luns++;
	}
}

static void srp_abort_busy(struct srp_nexus *nx, uint64_t lun, void *arg)
{
	(void)arg;
	/* ABORT TASK SET of that LUN on every worker, no TM response. */
	if (scsi_itn_lun_inflight(nx->itn, lun))
		srp_tmf_preempt_abort(nx, lun);
}

void srp_target_maps_effect(struct srp_target *t, const struct srp_maps *m,
			    struct srp_maps_effect *eff)
{
	memset(eff, 0, sizeof(*eff));
	for (struct srp_nexus *nx = t->nexuses; nx; nx = nx->next) {
		const struct srp_lun_view *ov =
			srp_maps_view(&t->maps, &nx->iid);
		const struct srp_lun_view *nv = srp_maps_view(m, &nx->iid);

		srp_nexus_leaving(nx, ov, nv, srp_count_busy, eff);
		if (!nv)
			eff->denied++;
		else if (!scsi_itn_view_same(nx->itn, nv->luns, nv->n))
			eff->changed++;
	}
}

/* ---- grace period ------------------------------------------------------ */

struct srp_retire;

/* One worker's leg of the round trip. */
struct srp_retire_hop {
	struct srp_retire *r;
	struct srp_worker *w;
};

struct srp_retire {
	struct srp_engine *e;
	unsigned int pending; /* hops not back yet */
	struct scsi_itn_view **views; /* replaced, base reference held */
	unsigned int n_views;
	struct scsi_lu **lus; /* LUs of the new views (attach) */
	unsigned int n_lus;
	struct srp_retire_hop *hops;
	struct srp_retire *next; /* e->retiring */
};

static void srp_retire_free(struct srp_retire *r)
{
	for (unsigned int i = 0; i < r->n_views; i++)
		scsi_itn_view_put(r->views[i]);
	free(r->views);
	free(r->lus);
	free(r->hops);
	free(r);
}

/* Main thread: one worker passed the barrier. */
static void srp_retire_back_msg(void *arg)
{
	struct srp_retire_hop *h = arg;
	struct srp_retire *r = h->r;
	struct srp_retire **pp;

	if (--r->pending)
		return;
	for (pp = &r->e->retiring; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	srp_retire_free(r);
}

/* Worker thread: attach the new LUs' backends, then answer. */
static void srp_retire_hop_msg(void *arg)
{
	struct srp_retire_hop *h = arg;
	struct srp_worker *w = h->w;
	int ret = 0;

	for (unsigned int i = 0; i < h->r->n_lus && !ret; i++)
		ret = scsi_worker_attach_lu(w->sw, h->r->lus[i]);
	if (!ret)
		ret = srp_worker_refresh_fds(w);
	if (ret)
		pr_err("I/O worker: cannot attach to a newly mapped LU's backend: %s",
		       strerror(-ret));
	if (loop_send(w->engine->main_loop, srp_retire_back_msg, h))
		pr_err("I/O worker: grace period reply lost; replaced LUN views are kept");
}

/* Start the grace period of r (main thread); r is freed at its end. */
static void srp_retire_start(struct srp_engine *e, struct srp_retire *r)
{
	unsigned int n = 0;

	for (struct srp_worker *w = e->workers; w; w = w->next)
		n++;
	r->e = e;
	r->hops = calloc(n ? n : 1, sizeof(*r->hops));
	if (!r->hops) {
		/* Cannot prove the views unused: keep them (a leak). */
		pr_err("out of memory: replaced LUN views are kept");
		free(r->views);
		free(r->lus);
		free(r);
		return;
	}
	r->next = e->retiring;
	e->retiring = r;
	r->pending = 1; /* until every hop is sent */
	n = 0;
	for (struct srp_worker *w = e->workers; w; w = w->next) {
		struct srp_retire_hop *h = &r->hops[n++];

		h->r = r;
		h->w = w;
		r->pending++;
		if (loop_send(w->loop, srp_retire_hop_msg, h)) {
			r->pending--;
			pr_err("grace period message not sent; replaced LUN views are kept");
			r->n_views = 0;
		}
	}
	/* No worker (or all sent): the extra count goes now. */
	srp_retire_back_msg(&(struct srp_retire_hop){ .r = r });
}

void srp_engine_retire_flush(struct srp_engine *e)
{
	struct srp_retire *r;

	/* Engine destroy: no worker runs any more. */
	while ((r = e->retiring)) {
		e->retiring = r->next;
		srp_retire_free(r);
	}
}

static int srp_retire_add_view(struct srp_retire *r, struct scsi_itn_view *v)
{
	struct scsi_itn_view **nv;

	nv = realloc(r->views, (r->n_views + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	r->views = nv;
	r->views[r->n_views++] = v;
	return 0;
}

static int srp_retire_add_lus(struct srp_retire *r, const struct srp_maps *m)
{
	const struct srp_group *g = m->groups;
	const struct srp_lun_view *v = &m->view;

	for (;;) {
		for (unsigned int i = 0; i < v->n; i++) {
			struct scsi_lu **nl;
			bool seen = false;

			for (unsigned int k = 0; k < r->n_lus && !seen; k++)
				seen = r->lus[k] == v->luns[i].lu;
			if (seen)
				continue;
			nl = realloc(r->lus, (r->n_lus + 1) * sizeof(*nl));
			if (!nl)
				return -ENOMEM;
			r->lus = nl;
			r->lus[r->n_lus++] = v->luns[i].lu;
		}
		if (!g)
			return 0;
		v = &g->view;
		g = g->next;
	}
}

int srp_target_set_maps(struct srp_target *t, struct srp_maps *m,
			unsigned int flags, struct srp_maps_effect *eff)
{
	struct srp_retire *r;
	int err = 0;

	srp_target_maps_effect(t, m, eff);
	if (eff->busy_cmds && !(flags & SRP_MAPS_FORCE))
		return -EBUSY;
	r = calloc(1, sizeof(*r));
	if (!r || srp_retire_add_lus(r, m)) {
		if (r)
			free(r->lus);
		free(r);
		srp_maps_free(m);
		return -ENOMEM;
	}
	for (struct srp_nexus *nx = t->nexuses; nx; nx = nx->next) {
		const struct srp_lun_view *ov =
			srp_maps_view(&t->maps, &nx->iid);
		const struct srp_lun_view *nv = srp_maps_view(m, &nx->iid);
		struct scsi_itn_view *old;
		int ret;

		if (flags & SRP_MAPS_FORCE)
			srp_nexus_leaving(nx, ov, nv, srp_abort_busy, NULL);
		if (!nv) {
			/* No longer allowed in: as for a removed target. */
			tgt_log(LOG_NOTICE, t->name,
				"initiator %s lost access; logging it out",
				nx->name);
			srp_nexus_logout(nx);
			continue;
		}
		ret = scsi_itn_replace_view(nx->itn, nv->luns, nv->n, &old);
		if (ret < 0) {
			tgt_log(LOG_ERR, t->name,
				"initiator %s keeps its LUN view: %s", nx->name,
				strerror(-ret));
			err = ret;
			continue;
		}
		if (ret == 0 && srp_retire_add_view(r, old)) {
			/* Cannot track it: keep it for good (a leak). */
			err = -ENOMEM;
		}
		if (ret == 0)
			tgt_log(LOG_INFO, t->name,
				"initiator %s: LUN view changed (%u LUN(s))",
				nx->name, nv->n);
	}
	/* Logins from now on get the new maps. */
	srp_maps_clear(&t->maps);
	t->maps = *m;
	free(m);
	srp_retire_start(t->engine, r);
	return err;
}
