/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Snapshot of the sessions and ending one; see srp_sessions.h for what
 * is read exactly and what racily.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "srp/srp_int.h"
#include "srp/srp_sessions.h"
#include "util.h"

static unsigned int srp_sessions_count(const struct srp_engine *e)
{
	unsigned int n = 0;

	for (const struct srp_target *t = e->targets; t; t = t->next)
		for (const struct srp_nexus *nx = t->nexuses; nx; nx = nx->next)
			n++;
	return n;
}

static void srp_session_fill(const struct srp_target *t,
			     const struct srp_nexus *nx,
			     struct srp_session_info *si)
{
	const struct srp_lun_view *view = srp_maps_view(&t->maps, &nx->iid);
	unsigned int i = 0;

	memcpy(si->target, t->name, sizeof(si->target));
	memcpy(si->initiator, nx->name, sizeof(si->initiator));
	srp_port_id_str(nx->t_port_id, si->target_port,
			sizeof(si->target_port));
	si->gid_valid = nx->iid.gid_valid;
	memcpy(si->gid, nx->iid.gid, sizeof(si->gid));
	si->denied = !view;
	si->n_luns = view ? view->n : 0;
	for (const struct srp_group *g = t->maps.groups; g; g = g->next)
		if (view == &g->view)
			memcpy(si->group, g->name, sizeof(si->group));
	si->since = nx->since;
	for (const struct srp_channel *ch = nx->channels; ch;
	     ch = ch->next_in_nexus, i++) {
		struct srp_session_channel *sc = &si->channels[i];
		enum srp_ch_state st =
			__atomic_load_n(&ch->state, __ATOMIC_RELAXED);

		sc->id = ch->id;
		sc->worker = ch->w->index;
		sc->state = srp_ch_state_name(st);
		sc->queue_depth =
			__atomic_load_n(&ch->req_lim, __ATOMIC_RELAXED);
		sc->outstanding =
			__atomic_load_n(&ch->outstanding, __ATOMIC_RELAXED);
		sc->rdma_cm = ch->login.rdma_cm;
		sc->via = ch->login.via;
		memcpy(sc->peer, ch->login.peer, sizeof(sc->peer));
		sc->since = ch->login.since;
	}
	si->n_channels = i;
}

int srp_engine_sessions_snapshot(const struct srp_engine *e,
				 struct srp_session_info **out, unsigned int *n)
{
	unsigned int total = srp_sessions_count(e), i = 0;
	struct srp_session_info *s;

	*out = NULL;
	*n = 0;
	if (!total)
		return 0;
	s = calloc(total, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (const struct srp_target *t = e->targets; t; t = t->next)
		for (const struct srp_nexus *nx = t->nexuses; nx;
		     nx = nx->next, i++) {
			unsigned int nch = 0;

			for (const struct srp_channel *ch = nx->channels; ch;
			     ch = ch->next_in_nexus)
				nch++;
			s[i].channels =
				calloc(nch ? nch : 1, sizeof(*s[i].channels));
			if (!s[i].channels) {
				srp_sessions_free(s, i);
				return -ENOMEM;
			}
			srp_session_fill(t, nx, &s[i]);
		}
	*out = s;
	*n = total;
	return 0;
}

void srp_sessions_free(struct srp_session_info *s, unsigned int n)
{
	for (unsigned int i = 0; s && i < n; i++)
		free(s[i].channels);
	free(s);
}

int srp_engine_session_kick(struct srp_engine *e, const char *target,
			    const char *i_port)
{
	int told = 0;

	for (struct srp_target *t = e->targets; t; t = t->next) {
		if (target && strcmp(target, t->name))
			continue;
		for (struct srp_nexus *nx = t->nexuses; nx; nx = nx->next) {
			/* "0x" and case are optional. */
			if (strcasecmp(nx->name + 2,
				       strncasecmp(i_port, "0x", 2) ?
					       i_port :
					       i_port + 2))
				continue;
			pr_notice(
				"target %s: session of %s ended by the administrator (SRP_T_LOGOUT)",
				t->name, nx->name);
			srp_nexus_logout(nx);
			told++;
		}
	}
	return told ? told : -ENOENT;
}
