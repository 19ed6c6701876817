/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Verbs fabric: connection management on librdmacm (main thread): the
 * event channel, the RDMA/CM and IB/CM (AF_IB) listeners and their retry
 * timer, connection requests and the CM events of connections, and the
 * CM side of accept, reject and disconnect.  Login paths: doc/verbs.md.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <infiniband/ib.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/verbs/verbs_int.h"

#define V_LISTEN_BACKLOG 128 /* ib_srpt's rdma_listen backlog */

uint64_t fabric_verbs_ib_service_id(uint16_t port)
{
	/* The kernel CMA accepts AF_IB listens only inside its port spaces;
	 * RDMA_PS_IB = 0x013F, the low 16 bits are the port (doc/verbs.md
	 * "Login paths"). */
	return FABRIC_VERBS_IB_SID_BASE | port;
}

int fabric_verbs_parse_addr(const char *addr, uint16_t port,
			    struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[64];
	char *pct;

	memset(ss, 0, sizeof(*ss));
	if (!addr || strlen(addr) >= sizeof(buf))
		return -EINVAL;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	/* IPv6, optionally with a %scope (link-local addresses). */
	strcpy(buf, addr);
	pct = strchr(buf, '%');
	if (pct)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return -EINVAL;
	if (pct) {
		char *end;
		unsigned long sc = strtoul(pct, &end, 10);

		if (*pct && !*end)
			sin6->sin6_scope_id = sc;
		else if (!(sin6->sin6_scope_id = if_nametoindex(pct)))
			return -EINVAL;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*len = sizeof(*sin6);
	return 0;
}

void v_listener_close(struct vlistener *l)
{
	if (l->id) {
		rdma_destroy_id(l->id);
		l->id = NULL;
	}
}

/* Create, bind and listen; -errno (the id is not kept on failure). */
static int v_listener_open(struct verbs_fabric *vf, struct vlistener *l)
{
	struct rdma_cm_id *id;
	int ret;

	if (rdma_create_id(vf->ech, &id, l,
			   l->af_ib ? RDMA_PS_IB : RDMA_PS_TCP))
		return -errno;
	if (l->v6_only) {
		int one = 1;

		/* Next to an IPv4 listener on the same port (doc/verbs.md
		 * "Login paths"). */
		if (rdma_set_option(id, RDMA_OPTION_ID, RDMA_OPTION_ID_AFONLY,
				    &one, sizeof(one))) {
			ret = -errno;
			goto fail;
		}
	}
	if (rdma_bind_addr(id, (struct sockaddr *)&l->addr)) {
		ret = -errno;
		goto fail;
	}
	if (rdma_listen(id, V_LISTEN_BACKLOG)) {
		ret = -errno;
		goto fail;
	}
	l->id = id;
	pr_log(LOG_NOTICE, LOG_C_CM, "cm: listening on %s", l->name);
	return 0;
fail:
	rdma_destroy_id(id);
	return ret;
}

static void v_retry_cb(void *arg);

static void v_schedule_retry(struct verbs_fabric *vf)
{
	unsigned int s = vf->p.listen_retry_s ? vf->p.listen_retry_s : 5;

	if (vf->retry)
		return;
	if (loop_timer_add(vf->main_loop, (uint64_t)s * 1000, 0, v_retry_cb, vf,
			   &vf->retry))
		v_log(LOG_ERR, "cannot arm the listener retry timer");
}

static void v_retry_cb(void *arg)
{
	struct verbs_fabric *vf = arg;
	bool missing = false;

	vf->retry = NULL;
	for (unsigned int i = 0; i < vf->nlst; i++) {
		struct vlistener *l = &vf->lst[i];

		if (!l->id && v_listener_open(vf, l))
			missing = true;
	}
	if (missing)
		v_schedule_retry(vf);
}

void v_listener_lost(struct verbs_fabric *vf, struct vlistener *l)
{
	v_listener_close(l);
	v_schedule_retry(vf);
}

int v_listeners_setup(struct verbs_fabric *vf)
{
	const struct fabric_verbs_params *p = &vf->p;
	bool any_ib = false;
	unsigned int n = 0;

	for (unsigned int i = 0; i < vf->ndev; i++)
		any_ib |= vf->devs[i].ib_port_mask != 0;
	vf->lst = calloc(p->n_listen + 1, sizeof(*vf->lst));
	if (!vf->lst)
		return -ENOMEM;
	for (unsigned int i = 0; i < p->n_listen; i++) {
		struct vlistener *l = &vf->lst[n];
		socklen_t len;

		if (fabric_verbs_parse_addr(p->listen[i].addr,
					    p->listen[i].port, &l->addr,
					    &len)) {
			v_log(LOG_ERR, "bad listen address '%s'",
			      p->listen[i].addr);
			return -EINVAL;
		}
		l->rdma_cm_format = true;
		for (unsigned int j = 0; j < p->n_listen; j++) {
			struct sockaddr_storage o;
			socklen_t olen;

			if (l->addr.ss_family == AF_INET6 &&
			    p->listen[j].port == p->listen[i].port &&
			    !fabric_verbs_parse_addr(p->listen[j].addr,
						     p->listen[j].port, &o,
						     &olen) &&
			    o.ss_family == AF_INET)
				l->v6_only = true;
		}
		snprintf(l->name, sizeof(l->name), "%s%s%s:%u",
			 l->addr.ss_family == AF_INET6 ? "[" : "",
			 p->listen[i].addr,
			 l->addr.ss_family == AF_INET6 ? "]" : "",
			 p->listen[i].port);
		n++;
	}
	if (p->ib_cm_enabled && any_ib) {
		struct vlistener *l = &vf->lst[n];
		struct sockaddr_ib *sib = (struct sockaddr_ib *)&l->addr;
		uint64_t sid = fabric_verbs_ib_service_id(p->ib_cm_port);

		_Static_assert(sizeof(struct sockaddr_ib) <=
				       sizeof(struct sockaddr_storage),
			       "sockaddr_ib fits");
		sib->sib_family = AF_IB;
		sib->sib_sid = htobe64(sid);
		sib->sib_sid_mask = htobe64(~0ULL);
		l->af_ib = true;
		l->rdma_cm_format = false;
		snprintf(l->name, sizeof(l->name), "IB service id 0x%016llx",
			 (unsigned long long)sid);
		n++;
	} else if (p->ib_cm_enabled) {
		v_log(LOG_INFO, "IB/CM login disabled: no InfiniBand port");
	}
	vf->nlst = n;
	for (unsigned int i = 0; i < n; i++) {
		int ret = v_listener_open(vf, &vf->lst[i]);

		if (ret) {
			pr_log(LOG_WARNING, LOG_C_CM,
			       "cm: cannot listen on %s yet: %s (retrying)",
			       vf->lst[i].name, strerror(-ret));
			v_schedule_retry(vf);
		}
	}
	return 0;
}

static void v_peer_name(struct rdma_cm_id *id, struct fabric_conn_info *info)
{
	struct sockaddr *sa = rdma_get_peer_addr(id);
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *gid = id->route.addr.addr.ibaddr.dgid.raw;

	memcpy(info->peer_gid, gid, 16);
	if (sa && sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf,
		      sizeof(buf))) {
		snprintf(info->peer_name, sizeof(info->peer_name), "%s", buf);
		return;
	}
	if (sa && sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf,
		      sizeof(buf))) {
		snprintf(info->peer_name, sizeof(info->peer_name), "%s", buf);
		return;
	}
	if (sa && sa->sa_family == AF_IB)
		gid = ((struct sockaddr_ib *)sa)->sib_addr.sib_raw;
	memcpy(info->peer_gid, gid, 16);
	/* GID: fe80:0000:0000:0000:0002:c903:000f:1367 style */
	if (!inet_ntop(AF_INET6, gid, buf, sizeof(buf)))
		strcpy(buf, "?");
	snprintf(info->peer_name, sizeof(info->peer_name), "%s", buf);
}

static void v_conn_request(struct verbs_fabric *vf, struct rdma_cm_event *ev)
{
	struct vlistener *l = ev->listen_id ? ev->listen_id->context : NULL;
	struct rdma_cm_id *id = ev->id;
	struct fabric_conn_req *c;
	unsigned int len = ev->param.conn.private_data_len;

	c = calloc(1, sizeof(*c));
	if (!c) {
		rdma_ack_cm_event(ev);
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return;
	}
	c->vf = vf;
	c->id = id;
	c->dev = v_find_dev(vf, id->verbs);
	if (!c->dev && id->verbs) {
		/* Perhaps a device added since the last scan. */
		v_refresh_devices(vf);
		c->dev = v_find_dev(vf, id->verbs);
	}
	atomic_init(&c->refs, 1);
	c->state = VC_REQ;
	v_peer_name(id, &c->info);
	if (len > sizeof(c->pdata))
		len = sizeof(c->pdata);
	if (len && ev->param.conn.private_data)
		memcpy(c->pdata, ev->param.conn.private_data, len);
	c->info.fabric = &vf->base;
	if (c->dev) {
		snprintf(c->info.via.dev_name, sizeof(c->info.via.dev_name),
			 "%s", c->dev->name);
		c->info.via.node_guid = be64toh(c->dev->attr.node_guid);
	}
	c->info.via.port = id->port_num;
	c->info.private_data = c->pdata;
	c->info.private_data_len = len;
	c->info.rdma_cm_format = l ? l->rdma_cm_format : true;
	/* The CM reports the REQ's values from our side already (kernel
	 * cm_format_req_event swaps them): its initiator_depth is how many
	 * READs we may issue, i.e. the initiator's responder_resources. */
	c->info.responder_resources = ev->param.conn.initiator_depth;
	c->info.initiator_depth = ev->param.conn.responder_resources;
	id->context = c;
	pthread_mutex_lock(&vf->lock);
	if (c->dev)
		c->dev->nconns++;
	c->next = vf->conns;
	if (c->next)
		c->next->prev = c;
	vf->conns = c;
	pthread_mutex_unlock(&vf->lock);
	rdma_ack_cm_event(ev);

	if (!c->dev || atomic_load(&c->dev->state) != VD_ACTIVE) {
		/* A device the port filter excluded (or a dying one). */
		cm_log(LOG_INFO, c,
		       "connection request on an unused device %s: rejected",
		       id->verbs ? ibv_get_device_name(id->verbs->device) :
				   "?");
		v_reject(c, NULL, NULL, 0);
		return;
	}
	cm_log(LOG_INFO, c,
	       "connection request via %s (%u bytes private data, responder_resources %u initiator_depth %u)",
	       l ? l->name : "?", len, c->info.responder_resources,
	       c->info.initiator_depth);
	vf->base.lh->conn_request(vf->base.lctx, c, &c->info);
}

static void v_cm_event(struct verbs_fabric *vf, struct rdma_cm_event *ev)
{
	struct rdma_cm_id *id = ev->id;
	struct fabric_conn_req *c;
	enum rdma_cm_event_type type = ev->event;
	int status = ev->status;

	if (type == RDMA_CM_EVENT_CONNECT_REQUEST) {
		v_conn_request(vf, ev);
		return;
	}
	/* Listener ids carry a struct vlistener; connection ids a conn. */
	for (unsigned int i = 0; i < vf->nlst; i++) {
		struct vlistener *l = &vf->lst[i];

		if (l->id != id)
			continue;
		rdma_ack_cm_event(ev);
		if (type == RDMA_CM_EVENT_DEVICE_REMOVAL) {
			struct vdev *d = v_find_dev(vf, l->id->verbs);

			pr_log(LOG_WARNING, LOG_C_CM,
			       "cm listener %s: device removed", l->name);
			v_listener_lost(vf, l);
			if (d)
				v_dev_remove(d, "device removal");
		} else if (type == RDMA_CM_EVENT_ADDR_CHANGE) {
			pr_log(LOG_NOTICE, LOG_C_CM,
			       "cm listener %s: address change", l->name);
		} else {
			pr_log(LOG_DEBUG, LOG_C_CM, "cm listener %s: %s",
			       l->name, rdma_event_str(type));
		}
		return;
	}
	c = id->context;
	if (!c) {
		rdma_ack_cm_event(ev);
		return;
	}
	/* The message reference is taken before the ack: rdma_destroy_id
	 * cannot return (and the conn cannot be freed) before it. */
	switch (type) {
	case RDMA_CM_EVENT_ESTABLISHED:
		vc_send(c, VM_ESTABLISHED);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		cm_log(LOG_INFO, c, "disconnected");
		vc_send(c, VM_DISCONNECTED);
		break;
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		/* REP not answered by an RTU, or similar: the connection
		 * never came up. */
		cm_log(LOG_WARNING, c, "%s (status %d)", rdma_event_str(type),
		       status);
		atomic_store(&c->peer_gone, true);
		vc_send(c, VM_DISCONNECTED);
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL: {
		struct vdev *d = c->dev;

		cm_log(LOG_WARNING, c, "device removed");
		atomic_store(&c->peer_gone, true);
		vc_send(c, VM_DISCONNECTED);
		/* The kernel waits for the id: ack first. */
		rdma_ack_cm_event(ev);
		if (d)
			v_dev_remove(d, "device removal");
		return;
	}
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		cm_log(LOG_DEBUG, c, "timewait exit");
		break;
	case RDMA_CM_EVENT_ADDR_CHANGE:
		cm_log(LOG_NOTICE, c, "address change");
		break;
	default:
		cm_log(LOG_DEBUG, c, "%s (status %d)", rdma_event_str(type),
		       status);
		break;
	}
	rdma_ack_cm_event(ev);
}

void v_cm_fd_cb(void *arg, uint32_t events)
{
	struct verbs_fabric *vf = arg;
	struct rdma_cm_event *ev;

	while (rdma_get_cm_event(vf->ech, &ev) == 0)
		v_cm_event(vf, ev);
}

int v_accept(struct fabric_conn_req *c, struct fabric_qp *qp, const void *pdata,
	     unsigned int len)
{
	struct rdma_conn_param cp;

	if (!c || &c->base != qp || c->state != VC_QP || len > 196)
		return -EINVAL;
	if (atomic_load(&c->peer_gone))
		return -ECONNRESET;
	memset(&cp, 0, sizeof(cp));
	cp.private_data = pdata;
	cp.private_data_len = len;
	/* READs the initiator may issue to us (ib_srp: none), and READs
	 * we issue (<= the initiator's responder_resources). */
	cp.responder_resources =
		umin(c->info.initiator_depth, c->dev->attr.max_qp_rd_atom);
	cp.initiator_depth = c->initiator_depth;
	cp.flow_control = 1;
	cp.rnr_retry_count = 7; /* ib_srpt: infinite RNR retry */
	vc_set_state(c, VC_ACCEPTED);
	/* From here the QP belongs to its CQ's thread (struct vcq_dev). */
	atomic_fetch_add_explicit(&c->cqd->handoff, 1, memory_order_release);
	/* rdma_accept moves the QP to RTR and RTS (rdma_accept(3),
	 * doc/verbs.md "Accept and reject"). */
	if (rdma_accept(c->id, &cp)) {
		int ret = -errno;

		cm_log(LOG_ERR, c, "rdma_accept: %s", strerror(-ret));
		vc_defer_disconnected(c);
		return ret;
	}
	cm_log(LOG_DEBUG, c,
	       "accepted: qp 0x%x initiator_depth %u responder_resources %u",
	       c->qp->qp_num, cp.initiator_depth, cp.responder_resources);
	return 0;
}

int v_reject(struct fabric_conn_req *c, struct fabric_qp *qp, const void *pdata,
	     unsigned int len)
{
	int ret = 0;

	if (!c || (qp && &c->base != qp) || c->state > VC_QP)
		return -EINVAL;
	/* REJ private data max 148 bytes (IBA 12.6.7); rdma_reject uses
	 * IB_CM_REJ_CONSUMER_DEFINED, which ib_srp parses (doc/verbs.md
	 * "Accept and reject"). */
	if (len > 148)
		len = 148;
	if (rdma_reject(c->id, pdata, len)) {
		ret = -errno;
		cm_log(LOG_WARNING, c, "rdma_reject: %s", strerror(-ret));
	} else {
		cm_log(LOG_INFO, c, "login rejected");
	}
	if (qp) {
		struct fabric_cq *cq = atomic_load(&c->cq);

		if (cq)
			atomic_fetch_sub(&cq->nr_qps, 1);
		if (c->cqd)
			atomic_fetch_sub(&c->cqd->reserved, c->cq_reserved);
		c->cq_reserved = 0;
	}
	vc_set_state(c, VC_DESTROYED);
	vc_srq_detach(c);
	vc_release_id(c);
	vc_put(c);
	return ret;
}

int v_disconnect(struct fabric_qp *qp)
{
	struct fabric_conn_req *c = vc_of(qp);
	bool established = c->state == VC_LIVE;

	/* fabric.h: disconnected() follows exactly once; from DISCONNECTING
	 * on it has been reported or is on its way. */
	if (c->state >= VC_DISCONNECTING)
		return 0;
	if (c->state < VC_ACCEPTED) {
		/* Never connected: nothing to tell the peer. */
		vc_set_state(c, VC_ERROR);
		vc_defer_disconnected(c);
		return 0;
	}
	vc_set_state(c, VC_DISCONNECTING);
	/* DREQ; librdmacm also moves the QP to error.  DISCONNECTED follows
	 * with the DREP or the DREQ timeout. */
	c->hw_error = true;
	if (rdma_disconnect(c->id)) {
		int ret = -errno;

		cm_log(LOG_DEBUG, c, "rdma_disconnect: %s", strerror(-ret));
		vc_defer_disconnected(c);
	} else if (!established) {
		/* REP sent, no RTU yet (or the accept failed): the CM sends
		 * no DREQ from that state and no DISCONNECTED may follow. */
		vc_defer_disconnected(c);
	}
	return 0;
}
