/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * I_T nexuses: their LUN views, replaced live, and the unit attention
 * queue of each LUN of a view (SAM-5 5.14).
 *
 * A view (struct scsi_itn_view) is built by the thread that owns the
 * nexus (the transport's main thread) and never changes afterwards apart
 * from the unit attention queues of its entries, which are guarded by
 * their LU's lock.  itn->view points to the current one; the threads
 * executing the nexus's commands read it without a lock.  Replacing it
 * (doc/architecture.md "Live changes"):
 *
 *  1. scsi_itn_replace_view() builds the new view, moves each kept LUN's
 *     pending unit attentions over, takes the old entries off their LUs'
 *     nexus lists (so UAs and reservations address the new ones only),
 *     publishes the new view and hands the old one back;
 *  2. the transport waits until every thread that may have loaded the
 *     old pointer has passed a point where it holds none it did not pin
 *     (srp: a message round trip through every worker), then drops the
 *     view's base reference (scsi_itn_view_put());
 *  3. a command pins the entry of its LUN from scsi_task_parse() to
 *     scsi_task_release() (entry in-flight count; the first in flight
 *     also holds a view reference), so the old view, and with it its LUs
 *     (scsi_lu_in_use()), lives until the commands that started under it
 *     are over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scsi/scsi_int.h"
#include "util.h"

static int scsi_view_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct scsi_view_ent *)a)->lun;
	uint64_t y = ((const struct scsi_view_ent *)b)->lun;

	return x < y ? -1 : x > y;
}

/* A new, unlinked view of n entries, sorted by LUN; NULL + *err. */
static struct scsi_itn_view *scsi_view_build(struct scsi_itn *itn,
					     const struct scsi_lun_entry *view,
					     unsigned int n, int *err)
{
	struct scsi_itn_view *v;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		*err = !view[i].lu || view[i].lun > 16383 ? -EINVAL : 0;
		for (j = 0; j < i && !*err; j++)
			if (view[j].lun == view[i].lun)
				*err = -EEXIST;
		if (*err)
			return NULL;
	}
	v = calloc(1, sizeof(*v) + n * sizeof(v->ent[0]));
	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	atomic_init(&v->refs, 1);
	v->n = n;
	for (i = 0; i < n; i++) {
		v->ent[i].lun = view[i].lun;
		v->ent[i].lu = view[i].lu;
		v->ent[i].read_only = view[i].read_only;
	}
	/* Sorted by LUN: scsi_view_find() is a binary search per command. */
	qsort(v->ent, n, sizeof(v->ent[0]), scsi_view_cmp);
	for (i = 0; i < n; i++) {
		v->ent[i].itn = itn;
		v->ent[i].view = v;
		atomic_init(&v->ent[i].inflight, 0);
		atomic_init(&v->ent[i].ua_count, 0);
		scsi_list_init(&v->ent[i].lu_node);
	}
	return v;
}

/*
 * Take a view's entries off their LUs' nexus lists (lu->lock): from now
 * on they only serve the commands already pinned to them.  The LU counts
 * them as retired entries until the view is freed (scsi_lu_in_use()).
 */
static void scsi_view_retire(struct scsi_itn_view *v)
{
	for (unsigned int i = 0; i < v->n; i++) {
		struct scsi_view_ent *ve = &v->ent[i];
		struct scsi_lu *lu = ve->lu;

		pthread_mutex_lock(&lu->lock);
		if (ve->linked) {
			scsi_list_del(&ve->lu_node);
			ve->linked = false;
		}
		atomic_fetch_add(&lu->retired_ents, 1);
		pthread_mutex_unlock(&lu->lock);
	}
}

void scsi_itn_view_put(struct scsi_itn_view *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	/* The LU may be closed as soon as its count drops: touch it last. */
	for (unsigned int i = 0; i < v->n; i++)
		atomic_fetch_sub(&v->ent[i].lu->retired_ents, 1);
	free(v);
}

int scsi_itn_create(const uint8_t initiator_port_id[16],
		    const uint8_t target_port_id[16], uint16_t rel_tgt_port_id,
		    const struct scsi_lun_entry *view, unsigned int n,
		    struct scsi_itn **out)
{
	struct scsi_itn_view *v;
	struct scsi_itn *itn;
	int err;

	itn = calloc(1, sizeof(*itn));
	if (!itn)
		return -ENOMEM;
	v = scsi_view_build(itn, view, n, &err);
	if (!v) {
		free(itn);
		return err;
	}
	memcpy(itn->i_id, initiator_port_id, 16);
	memcpy(itn->t_id, target_port_id, 16);
	itn->rtpi = rel_tgt_port_id;
	atomic_init(&itn->abort_hook, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct scsi_view_ent *ve = &v->ent[i];

		/* SAM-5 6.3.2: a new nexus starts with POWER ON, RESET. */
		ve->ua[0] = SCSI_ASC_POWER_ON_RESET;
		ve->ua_head = 0;
		atomic_init(&ve->ua_count, 1);
		pthread_mutex_lock(&ve->lu->lock);
		scsi_list_add_tail(&ve->lu->nexuses, &ve->lu_node);
		ve->linked = true;
		pthread_mutex_unlock(&ve->lu->lock);
	}
	atomic_init(&itn->view, v);
	*out = itn;
	return 0;
}

int scsi_itn_set_abort_cb(struct scsi_itn *itn,
			  void (*cb)(void *arg, uint64_t lun), void *arg)
{
	struct scsi_abort_hook *h = malloc(sizeof(*h)), *none = NULL;

	if (!h)
		return -ENOMEM;
	h->cb = cb;
	h->arg = arg;
	/* Published once; a PR OUT on another worker may read it now. */
	if (!atomic_compare_exchange_strong(&itn->abort_hook, &none, h)) {
		free(h);
		return -EBUSY;
	}
	return 0;
}

/* SPC-2 reservations end with the nexus's access to the LU (lu->lock). */
static void scsi_ent_drop_res2_locked(struct scsi_view_ent *ve)
{
	struct scsi_lu *lu = ve->lu;

	if (lu->res2_held &&
	    scsi_itn_same_nexus(lu->res2_i_id, lu->res2_t_id, ve->itn))
		scsi_res2_release_locked(lu);
}

void scsi_itn_destroy(struct scsi_itn *itn)
{
	struct scsi_itn_view *v;

	if (!itn)
		return;
	/* No command of the nexus runs any more: no grace period needed. */
	v = atomic_exchange(&itn->view, NULL);
	for (unsigned int i = 0; i < v->n; i++) {
		pthread_mutex_lock(&v->ent[i].lu->lock);
		/* Persistent reservations survive the nexus. */
		scsi_ent_drop_res2_locked(&v->ent[i]);
		pthread_mutex_unlock(&v->ent[i].lu->lock);
	}
	scsi_view_retire(v);
	scsi_itn_view_put(v);
	free(atomic_load(&itn->abort_hook));
	free(itn);
}

bool scsi_itn_view_same(struct scsi_itn *itn, const struct scsi_lun_entry *view,
			unsigned int n)
{
	struct scsi_itn_view *v = scsi_itn_cur_view(itn);

	if (v->n != n)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		struct scsi_view_ent *ve = scsi_view_find(v, view[i].lun);

		if (!ve || ve->lu != view[i].lu ||
		    ve->read_only != view[i].read_only)
			return false;
	}
	return true;
}

unsigned int scsi_itn_lun_inflight(struct scsi_itn *itn, uint64_t lun)
{
	struct scsi_view_ent *ve = scsi_itn_find(itn, lun);

	return ve ? atomic_load(&ve->inflight) : 0;
}

int scsi_itn_replace_view(struct scsi_itn *itn,
			  const struct scsi_lun_entry *view, unsigned int n,
			  struct scsi_itn_view **old)
{
	struct scsi_itn_view *cur = scsi_itn_cur_view(itn), *v;
	int err;

	*old = NULL;
	if (scsi_itn_view_same(itn, view, n))
		return 1;
	v = scsi_view_build(itn, view, n, &err);
	if (!v)
		return err;
	for (unsigned int i = 0; i < v->n; i++) {
		struct scsi_view_ent *ve = &v->ent[i];
		struct scsi_view_ent *was = scsi_view_find(cur, ve->lun);
		struct scsi_lu *lu = ve->lu;

		pthread_mutex_lock(&lu->lock);
		/* The same LU at the same LUN keeps what it had to report. */
		if (was && was->lu == lu) {
			unsigned int cnt = atomic_load(&was->ua_count);

			for (unsigned int k = 0; k < cnt; k++)
				ve->ua[k] = was->ua[(was->ua_head + k) %
						    SCSI_UA_MAX];
			atomic_store(&ve->ua_count, cnt);
			if (was->linked) {
				scsi_list_del(&was->lu_node);
				was->linked = false;
			}
		}
		/*
		 * SPC-4 6.33: the logical unit inventory this nexus sees
		 * changed: REPORTED LUNS DATA HAS CHANGED on every LUN it
		 * sees (SAM-5 5.14), cleared by its next REPORT LUNS.
		 */
		scsi_ua_push_locked(ve, SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
		scsi_list_add_tail(&lu->nexuses, &ve->lu_node);
		ve->linked = true;
		pthread_mutex_unlock(&lu->lock);
	}
	for (unsigned int i = 0; i < cur->n; i++) {
		struct scsi_view_ent *was = &cur->ent[i];
		bool kept = false;

		for (unsigned int k = 0; k < v->n && !kept; k++)
			kept = v->ent[k].lu == was->lu;
		if (kept)
			continue;
		/* The LU left this nexus's view. */
		pthread_mutex_lock(&was->lu->lock);
		scsi_ent_drop_res2_locked(was);
		pthread_mutex_unlock(&was->lu->lock);
	}
	scsi_view_retire(cur);
	atomic_store_explicit(&itn->view, v, memory_order_release);
	*old = cur;
	return 0;
}

/*
 * Queue a UA (lu->lock held).  Duplicates are not queued twice; a reset UA
 * supersedes everything older (SAM-5 5.14: the reset reports what
 * happened before it); a full queue drops the newest.
 */
void scsi_ua_push_locked(struct scsi_view_ent *ve, uint16_t asc_ascq)
{
	unsigned int cnt =
		atomic_load_explicit(&ve->ua_count, memory_order_relaxed);
	unsigned int i;

	if ((asc_ascq >> 8) == (SCSI_ASC_POWER_ON_RESET >> 8)) {
		ve->ua_head = 0;
		ve->ua[0] = asc_ascq;
		atomic_store_explicit(&ve->ua_count, 1, memory_order_release);
		return;
	}
	for (i = 0; i < cnt; i++)
		if (ve->ua[(ve->ua_head + i) % SCSI_UA_MAX] == asc_ascq)
			return;
	if (cnt == SCSI_UA_MAX)
		return;
	ve->ua[(ve->ua_head + cnt) % SCSI_UA_MAX] = asc_ascq;
	atomic_store_explicit(&ve->ua_count, cnt + 1, memory_order_release);
}

/* Oldest UA, removed from the queue; 0 if none. */
uint16_t scsi_ua_pop(struct scsi_view_ent *ve)
{
	struct scsi_lu *lu = ve->lu;
	uint16_t ua = 0;
	unsigned int cnt;

	pthread_mutex_lock(&lu->lock);
	cnt = atomic_load_explicit(&ve->ua_count, memory_order_relaxed);
	if (cnt) {
		ua = ve->ua[ve->ua_head];
		ve->ua_head = (ve->ua_head + 1) % SCSI_UA_MAX;
		atomic_store_explicit(&ve->ua_count, cnt - 1,
				      memory_order_release);
	}
	pthread_mutex_unlock(&lu->lock);
	return ua;
}

/* Remove every queued asc_ascq of this nexus (REPORT LUNS and 3F/0E). */
void scsi_itn_clear_ua(struct scsi_itn *itn, uint16_t asc_ascq)
{
	struct scsi_itn_view *v = scsi_itn_cur_view(itn);
	unsigned int i, j;

	for (i = 0; i < v->n; i++) {
		struct scsi_view_ent *ve = &v->ent[i];
		unsigned int cnt, k = 0;
		uint16_t keep[SCSI_UA_MAX];

		if (!scsi_ua_pending(ve))
			continue;
		pthread_mutex_lock(&ve->lu->lock);
		cnt = atomic_load_explicit(&ve->ua_count, memory_order_relaxed);
		for (j = 0; j < cnt; j++) {
			uint16_t u = ve->ua[(ve->ua_head + j) % SCSI_UA_MAX];

			if (u != asc_ascq)
				keep[k++] = u;
		}
		memcpy(ve->ua, keep, k * sizeof(keep[0]));
		ve->ua_head = 0;
		atomic_store_explicit(&ve->ua_count, k, memory_order_release);
		pthread_mutex_unlock(&ve->lu->lock);
	}
}

int scsi_itn_queue_ua(struct scsi_itn *itn, uint64_t lun, uint16_t asc_ascq)
{
	struct scsi_view_ent *ve = scsi_itn_find(itn, lun);

	if (!ve)
		return -ENOENT;
	pthread_mutex_lock(&ve->lu->lock);
	scsi_ua_push_locked(ve, asc_ascq);
	pthread_mutex_unlock(&ve->lu->lock);
	return 0;
}

void scsi_lu_queue_ua_others_locked(struct scsi_lu *lu,
				    const struct scsi_itn *except,
				    uint16_t asc_ascq)
{
	struct scsi_list *n;

	for (n = lu->nexuses.next; n != &lu->nexuses; n = n->next) {
		struct scsi_view_ent *ve =
			container_of(n, struct scsi_view_ent, lu_node);

		if (ve->itn != except)
			scsi_ua_push_locked(ve, asc_ascq);
	}
}

void scsi_lu_queue_ua_all(struct scsi_lu *lu, uint16_t asc_ascq)
{
	pthread_mutex_lock(&lu->lock);
	scsi_lu_queue_ua_others_locked(lu, NULL, asc_ascq);
	pthread_mutex_unlock(&lu->lock);
}

void scsi_lu_capacity_changed(struct scsi_lu *lu)
{
	scsi_lu_queue_ua_all(lu, SCSI_ASC_CAPACITY_DATA_CHANGED);
}

void scsi_itn_luns_changed(struct scsi_itn *itn)
{
	struct scsi_itn_view *v = scsi_itn_cur_view(itn);

	for (unsigned int i = 0; i < v->n; i++)
		scsi_itn_queue_ua(itn, v->ent[i].lun,
				  SCSI_ASC_REPORTED_LUNS_DATA_CHANGED);
}

void scsi_lu_reset(struct scsi_itn *itn, uint64_t lun)
{
	struct scsi_view_ent *ve = scsi_itn_find(itn, lun);
	struct scsi_lu *lu;

	if (!ve)
		return;
	lu = ve->lu;
	pthread_mutex_lock(&lu->lock);
	/* SAM-5 6.3.3 / SPC-4 5.9.1: reset UA elsewhere, RESERVE released. */
	scsi_lu_queue_ua_others_locked(lu, itn, SCSI_ASC_BUS_DEVICE_RESET);
	if (lu->res2_held)
		scsi_res2_release_locked(lu);
	pthread_mutex_unlock(&lu->lock);
}

bool scsi_itn_has_lun(struct scsi_itn *itn, uint64_t lun)
{
	return scsi_itn_find(itn, lun) != NULL;
}

bool scsi_lu_in_use(struct scsi_lu *lu)
{
	bool used;

	pthread_mutex_lock(&lu->lock);
	used = !scsi_list_empty(&lu->nexuses) ||
	       atomic_load(&lu->retired_ents) != 0;
	pthread_mutex_unlock(&lu->lock);
	return used;
}
