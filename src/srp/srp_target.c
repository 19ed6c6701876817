/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * SRP engine, targets, I_T nexuses and the login path.
 *
 * Login (doc/srp-protocol.md 2-4, srp_login.h flow): parse the private data,
 * find the target by target port id, find the nexus (initiator port id +
 * target port id) and the initiator's LUN view (group match on port id or
 * GID, else the default map if the target allows unknown initiators), decide,
 * then for an accept: a SINGLE login disconnects every other channel of the
 * nexus (ib_srp logs in channel 0 with SINGLE after a reconnect,
 * doc/srp-protocol.md 4), a MULTI login joins the nexus; the channel is
 * created on the next worker (round robin), its receives posted, and the REP
 * sent with the LOGIN_RSP.
 *
 * The nexus keeps its scsi_itn (unit attentions, reservations key) while
 * any channel exists; it is freed with its last channel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "srp/srp_int.h"
#include "util.h"

void srp_engine_params_default(struct srp_engine_params *p)
{
	memset(p, 0, sizeof(*p));
	srp_login_params_default(&p->login);
	p->max_io_size = 1024 * 1024;
	p->chunk_size = 128 * 1024;
	p->chunks = 256;
	p->max_rd_atomic = 4;
	p->allow_ext_table = true;
	p->max_table_entries = 256;
	p->stuck_io_ms = 30000;
}

int srp_engine_create(const struct srp_engine_params *p,
		      struct srp_engine **out)
{
	struct srp_engine *e;

	/* A command needing more chunks than the pool has would wait
	 * forever: the pool must hold at least one largest command. */
	if (!p->chunk_size || p->chunk_size % 4096 || !p->chunks ||
	    !p->max_io_size || !p->max_rd_atomic ||
	    (uint64_t)p->chunk_size * p->chunks < p->max_io_size)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->p = *p;
	e->main_loop = p->main_loop;
	*out = e;
	return 0;
}

static void srp_target_free(struct srp_target *t)
{
	struct srp_target **pp;

	/* Its devices' counters stay in the engine's totals. */
	srp_stats_fold_target(t);
	for (pp = &t->engine->dying; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	srp_maps_clear(&t->maps);
	free(t->ports);
	free(t);
}

void srp_engine_destroy(struct srp_engine *e)
{
	struct srp_target *t;

	if (!e)
		return;
	srp_engine_retire_flush(e);
	while ((t = e->targets)) {
		e->targets = t->next;
		srp_target_free(t);
	}
	while ((t = e->dying))
		srp_target_free(t);
	srp_stats_free_folds(&e->st_retired);
	free(e->caps);
	free(e);
}

void srp_engine_get_stats(const struct srp_engine *e,
			  struct srp_engine_stats *s)
{
#define W(f) __atomic_load_n(&w->stats.f, __ATOMIC_RELAXED)
	*s = e->stats;
	for (const struct srp_worker *w = e->workers; w; w = w->next) {
		s->cmds += W(cmds);
		s->tmfs += W(tmfs);
		s->credit_violations += W(credit_violations);
		s->aborted += W(aborted);
		s->bad_ius += W(bad_ius);
		s->reqs_active += W(reqs_active);
		s->chunks_in_use += W(chunks_in_use);
		s->backend_stuck += W(backend_stuck);
		s->backend_stuck_total += W(backend_stuck_total);
	}
#undef W
}

void srp_engine_sessions(const struct srp_engine *e, unsigned int *nexuses,
			 unsigned int *channels)
{
	*nexuses = e->stats.nexuses;
	*channels = e->stats.channels;
}

bool srp_engine_idle(const struct srp_engine *e)
{
	return e->stats.channels == 0;
}

/* Main thread: T_LOGOUT every channel of the nexus (on its worker). */
void srp_nexus_logout(struct srp_nexus *nx)
{
	for (struct srp_channel *ch = nx->channels; ch;
	     ch = ch->next_in_nexus) {
		if (ch->main_disc)
			continue;
		ch->main_disc = true;
		srp_channel_send(ch, srp_channel_logout_msg, ch->w->loop);
	}
}

static void srp_target_logout_all(struct srp_target *t)
{
	for (struct srp_nexus *nx = t->nexuses; nx; nx = nx->next)
		srp_nexus_logout(nx);
}

void srp_engine_stop(struct srp_engine *e)
{
	e->stopping = true;
	for (struct srp_target *t = e->targets; t; t = t->next)
		srp_target_logout_all(t);
}

/* ---- targets ------------------------------------------------------------ */

int srp_target_create(struct srp_engine *e, const struct srp_target_params *p,
		      struct srp_target **out)
{
	struct srp_target *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->engine = e;
	snprintf(t->name, sizeof(t->name), "%s", p->name ? p->name : "srp");
	t->id_ext = p->id_ext;
	t->ioc_guid = p->ioc_guid;
	srp_target_port_id(p->id_ext, p->ioc_guid, t->port_id);
	t->ioc_guid_per_hca = p->ioc_guid_per_hca;
	if (p->n_ports) {
		t->ports = calloc(p->n_ports, sizeof(*t->ports));
		if (!t->ports) {
			free(t);
			return -ENOMEM;
		}
		memcpy(t->ports, p->ports, p->n_ports * sizeof(*t->ports));
		t->n_ports = p->n_ports;
	}
	t->maps.unknown_default_map = p->unknown_default_map;
	t->rel_tgt_port_id = p->rel_tgt_port_id ? p->rel_tgt_port_id : 1;
	t->next = e->targets;
	e->targets = t;
	*out = t;
	return 0;
}

bool srp_target_on_port(const struct srp_target *t,
			const struct fabric_port_ref *via)
{
	if (!t->n_ports)
		return true;
	for (unsigned int i = 0; i < t->n_ports; i++)
		if (fabric_port_match(t->ports[i], via ? via->dev_name : "",
				      via ? via->port : 0))
			return true;
	return false;
}

unsigned int srp_target_port_ids(const struct srp_target *t,
				 const struct fabric_port_ref *via,
				 uint8_t out[SRP_TARGET_MAX_PORT_IDS][16])
{
	unsigned int n = 0;

	if (t->ioc_guid_per_hca && via && via->node_guid &&
	    via->node_guid != t->ioc_guid)
		srp_target_port_id(t->id_ext, via->node_guid, out[n++]);
	memcpy(out[n++], t->port_id, 16);
	return n;
}

unsigned int srp_target_sessions(const struct srp_target *t)
{
	unsigned int n = 0;

	for (const struct srp_nexus *nx = t->nexuses; nx; nx = nx->next)
		n++;
	return n;
}

/* Freed when the last nexus goes (srp_nexus_put_channel()). */
void srp_target_remove(struct srp_target *t)
{
	struct srp_engine *e = t->engine;
	struct srp_target **pp;

	t->removed = true;
	for (pp = &e->targets; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->next = NULL;
	if (!t->nexuses) {
		srp_target_free(t);
		return;
	}
	/* Counted until its last nexus goes (srp_stats.c). */
	t->next = e->dying;
	e->dying = t;
	srp_target_logout_all(t);
}

/* ---- nexus ----------------------------------------------------------------- */

static struct srp_nexus *srp_nexus_find(struct srp_target *t,
					const uint8_t i_port[16],
					const uint8_t t_port[16])
{
	for (struct srp_nexus *nx = t->nexuses; nx; nx = nx->next)
		if (!memcmp(nx->i_port_id, i_port, 16) &&
		    !memcmp(nx->t_port_id, t_port, 16))
			return nx;
	return NULL;
}

static int srp_nexus_create(struct srp_target *t,
			    const struct srp_login_req_info *req,
			    const struct srp_initiator_id *iid,
			    const struct srp_lun_view *view,
			    struct srp_nexus **out)
{
	struct srp_nexus *nx;
	int ret;

	nx = calloc(1, sizeof(*nx));
	if (!nx)
		return -ENOMEM;
	nx->target = t;
	memcpy(nx->i_port_id, req->initiator_port_id, 16);
	memcpy(nx->t_port_id, req->target_port_id, 16);
	nx->iid = *iid;
	nx->since = time(NULL);
	srp_port_id_str(nx->i_port_id, nx->name, sizeof(nx->name));
	ret = scsi_itn_create(nx->i_port_id, nx->t_port_id, t->rel_tgt_port_id,
			      view->luns, view->n, &nx->itn);
	if (ret) {
		free(nx);
		return ret;
	}
	/* PREEMPT AND ABORT by another nexus aborts this one's tasks. */
	ret = scsi_itn_set_abort_cb(nx->itn, srp_tmf_preempt_abort, nx);
	if (ret) {
		scsi_itn_destroy(nx->itn);
		free(nx);
		return ret;
	}
	nx->next = t->nexuses;
	t->nexuses = nx;
	t->engine->stats.nexuses++;
	*out = nx;
	return 0;
}

/* Drop one channel of a nexus (main thread); the last frees it. */
static void srp_nexus_put_channel(struct srp_nexus *nx, struct srp_channel *ch)
{
	struct srp_target *t = nx->target;
	struct srp_channel **cp;
	struct srp_nexus **pp;

	for (cp = &nx->channels; *cp; cp = &(*cp)->next_in_nexus)
		if (*cp == ch) {
			*cp = ch->next_in_nexus;
			break;
		}
	if (--nx->n_channels)
		return;
	for (pp = &t->nexuses; *pp; pp = &(*pp)->next)
		if (*pp == nx) {
			*pp = nx->next;
			break;
		}
	scsi_itn_destroy(nx->itn);
	t->engine->stats.nexuses--;
	srp_stats_fold_nexus(nx);
	free(nx);
	if (t->removed && !t->nexuses)
		srp_target_free(t);
}

/*
 * Main thread: a worker released a channel (srp_channel_release()); the
 * message carries the channel's nexus membership reference.
 */
void srp_nexus_channel_released_msg(void *arg)
{
	struct srp_channel *ch = arg;
	struct srp_engine *e = ch->engine;

	e->stats.channels--;
	srp_stats_fold_channel(ch);
	srp_nexus_put_channel(ch->nexus, ch);
	srp_channel_put(ch);
}

/*
 * Channels of the nexus the main thread has not asked to go (those that
 * died on their own count until their release message arrives).
 */
static unsigned int srp_nexus_live_channels(const struct srp_nexus *nx)
{
	unsigned int n = 0;

	for (const struct srp_channel *ch = nx ? nx->channels : NULL; ch;
	     ch = ch->next_in_nexus)
		if (!ch->main_disc)
			n++;
	return n;
}

/* ---- login ------------------------------------------------------------------- */

static struct srp_worker *srp_engine_pick_worker(struct srp_engine *e)
{
	struct srp_worker *w = e->next_worker;

	if (!w)
		w = e->workers;
	if (w)
		e->next_worker = w->next;
	return w;
}

static void srp_login_reject(struct fabric *f, struct fabric_conn_req *req,
			     const struct srp_login_decision *d,
			     uint16_t buf_fmt)
{
	uint8_t rej[64];
	int len;

	len = srp_login_build_rej(d, buf_fmt, rej, sizeof(rej));
	f->ops->reject(req, NULL, rej, len > 0 ? len : 0);
}

static void srp_engine_conn_request(void *ctx, struct fabric_conn_req *creq,
				    const struct fabric_conn_info *info)
{
	struct srp_engine *e = ctx;
	struct fabric *f = info->fabric;
	struct srp_login_params lp = e->p.login;
	enum srp_login_layout layout =
		info->rdma_cm_format ? SRP_LOGIN_RDMA_CM : SRP_LOGIN_IB_CM;
	struct srp_login_req_info req;
	struct srp_login_decision d;
	struct srp_login_state st = { 0 };
	struct srp_initiator_id iid;
	const struct srp_lun_view *view = NULL;
	struct srp_target *t = NULL;
	struct srp_nexus *nx = NULL;
	struct srp_channel *ch;
	struct srp_worker *w;
	uint8_t(*ids)[16] = NULL;
	struct srp_target **owners = NULL;
	unsigned int n_t = 0, n_ids = 0;
	char ini[SRP_PORT_ID_STRLEN], tpid[SRP_PORT_ID_STRLEN] = "?";
	uint8_t rsp[64];
	/* accept() and reject() consume creq, and info with it. */
	const struct fabric_port_ref via = info->via;
	int ret, len;

	ret = srp_login_parse(info->private_data, info->private_data_len,
			      layout, &req);
	if (ret) {
		srp_login_decide_parse_error(info->private_data,
					     info->private_data_len, layout,
					     ret, &d);
		goto reject;
	}
	srp_initiator_id_init(&iid, &req, info->peer_gid);
	srp_port_id_str(req.initiator_port_id, ini, sizeof(ini));
	srp_port_id_str(req.target_port_id, tpid, sizeof(tpid));

	/*
	 * Acceptable target port ids: those of every target on the HCA the
	 * request came through (srp_target_port_ids()); the first target
	 * listing an id owns it.
	 */
	for (t = e->targets; t; t = t->next)
		n_t++;
	if (n_t) {
		ids = calloc((size_t)n_t * SRP_TARGET_MAX_PORT_IDS, 16);
		owners = calloc((size_t)n_t * SRP_TARGET_MAX_PORT_IDS,
				sizeof(*owners));
		if (!ids || !owners) {
			srp_login_decide(&req, &lp, NULL, &d);
			srp_login_set_reject(
				&d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES,
				"out of memory");
			goto reject;
		}
	}
	for (t = e->targets; t; t = t->next) {
		unsigned int k;

		/* targets.ports: not reachable through this port. */
		if (!srp_target_on_port(t, &info->via))
			continue;
		k = srp_target_port_ids(t, &info->via, &ids[n_ids]);

		for (unsigned int j = 0; j < k; j++)
			owners[n_ids + j] = t;
		n_ids += k;
	}
	lp.target_port_ids = (const uint8_t(*)[16])ids;
	lp.n_target_port_ids = n_ids;
	t = NULL;
	for (unsigned int j = 0; j < n_ids && !t; j++)
		if (!memcmp(ids[j], req.target_port_id, 16))
			t = owners[j];
	if (t) {
		nx = srp_nexus_find(t, req.initiator_port_id,
				    req.target_port_id);
		view = srp_maps_view(&t->maps, &iid);
		st.acl_denied = !view;
	}
	st.nexus_channels = srp_nexus_live_channels(nx);
	st.port_disabled = e->stopping || !e->workers;
	st.no_rdma_read = !info->responder_resources;
	srp_login_decide(&req, &lp, &st, &d);
	free(ids);
	free(owners);
	ids = NULL;
	owners = NULL;
	if (!d.accept)
		goto reject;
	if (d.terminate_existing && nx) {
		/* SINGLE: close the others now (doc/srp-protocol.md 4). */
		for (ch = nx->channels; ch; ch = ch->next_in_nexus) {
			if (ch->main_disc)
				continue;
			ch->main_disc = true;
			srp_channel_send(ch, srp_channel_disconnect_msg,
					 ch->w->loop);
		}
	}
	if (!nx) {
		ret = srp_nexus_create(t, &req, &iid, view, &nx);
		if (ret) {
			srp_login_set_reject(
				&d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES,
				"cannot create the I_T nexus");
			goto reject;
		}
	}
	w = srp_engine_pick_worker(e);
	ret = srp_channel_create(w, nx, creq, info, &d, &ch);
	if (ret) {
		srp_login_set_reject(&d, SRP_LOGIN_REJ_INSUFFICIENT_RESOURCES,
				     "cannot create the channel");
		if (!nx->n_channels) {
			/* Free the empty nexus we made. */
			nx->n_channels = 1;
			srp_nexus_put_channel(nx, NULL);
		}
		goto reject;
	}
	ch->login.via = via;
	memcpy(ch->login.peer, info->peer_name, sizeof(ch->login.peer));
	ch->login.rdma_cm = info->rdma_cm_format;
	ch->login.since = time(NULL);
	ch->next_in_nexus = nx->channels;
	nx->channels = ch;
	nx->n_channels++;
	e->stats.channels++;
	len = srp_login_build_rsp(&d, rsp, sizeof(rsp));
	ret = f->ops->accept(creq, ch->qp, rsp, len > 0 ? len : 0);
	/* From here the channel belongs to its worker's thread. */
	srp_channel_send(ch, srp_channel_attach_msg, w->loop);
	if (ret) {
		ch->main_disc = true;
		srp_channel_send(ch, srp_channel_disconnect_msg, w->loop);
		return;
	}
	e->stats.logins_accepted++;
	pr_info("target %s: login from %s to %s via %s port %u accepted: "
		"channel %u, %u credits, it_iu_len %u%s%s",
		t->name, ini, tpid, via.dev_name[0] ? via.dev_name : "?",
		via.port, ch->id, d.req_lim, d.it_iu_len,
		d.imm_data ? ", immediate data" : "",
		d.mc_result == SRP_LOGIN_MC_TERMINATED ?
			", old channels closed" :
		d.mc_result == SRP_LOGIN_MC_MAINTAINED ? ", joined nexus" :
							 "");
	return;
reject:
	free(ids);
	free(owners);
	e->stats.logins_rejected++;
	pr_info("login rejected: %s (reason %#x; target port id %s via %s port %u)",
		d.why ? d.why : "?", d.reject_reason, tpid,
		via.dev_name[0] ? via.dev_name : "?", via.port);
	srp_login_reject(f, creq, &d, e->p.login.buf_fmt);
}

const struct fabric_listener_handlers srp_engine_listener = {
	.conn_request = srp_engine_conn_request,
};
